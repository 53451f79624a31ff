import ConfluentAPI
import ConfluentSimulator
import JumpchainHTTP
import JumpchainJSON
import JumpchainTestSupport
import Testing

/// Consumer-group reads: against the simulator (real HTTP on 127.0.0.1) and against spec-valid fixtures.
@Suite("Consumer-group reads")
struct ConsumerGroupClientTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func readsGroupsLagsAndCommittedOffsetsFromTheSimulator() async throws {
        var config = SimulatorConfig.jumpDemo()
        config.producers = []
        config.consumers = [.init(cluster: Demo.origin, group: "live", topic: "inventory", recordsPerSecond: 0)]
        let sim = try await Simulator.start(config, revealOperatorSecrets: true)
        let http = HTTPClient()
        defer {
            http.shutdown()
            Task { await sim.stop() }
        }
        let key = try #require(sim.connectionInfo.operatorKeys.first { $0.id == Demo.operatorOriginKey })
        let endpoint = APIEndpoint(
            http: http, baseURL: sim.clusterRESTURL(clusterID: Demo.origin),
            credential: APICredential(key: key.id, secret: Secret(key.secret)), label: "origin")
        let client = KafkaRESTClient(endpoint: endpoint, clusterID: Demo.origin)

        let groups = try await client.listConsumerGroups()
        #expect(groups.map(\.consumerGroupID) == ["live", Demo.consumerGroup, Demo.idleGroup])
        #expect(groups.map(\.state) == ["STABLE", "EMPTY", "EMPTY"])
        #expect(try await client.consumerGroup(Demo.idleGroup)?.isSimple == true)
        #expect(try await client.consumerGroup("absent") == nil)
        #expect(try await client.consumers(ofGroup: "live")?.map(\.clientID) == ["sim-consumer-1"])
        #expect(try await client.consumers(ofGroup: "absent") == nil)

        let lags = try #require(try await client.consumerLags(group: Demo.idleGroup))
        #expect(lags.map(\.currentOffset) == [60, 55, 50])
        #expect(lags.map(\.lag) == [0, 5, 10])
        #expect(lags.allSatisfy { $0.consumerID.isEmpty && $0.instanceID == nil })
        let one = try await client.consumerLag(group: Demo.idleGroup, topic: "payments", partition: 2)
        #expect(one?.logEndOffset == 60)
        #expect(try await client.consumerLag(group: Demo.idleGroup, topic: "orders", partition: 0) == nil)
        let summary = try #require(try await client.consumerLagSummary(group: Demo.idleGroup))
        #expect(summary.totalLag == 15)
        #expect(summary.maxLag == 10)
        #expect(summary.maxLagTopicName == "payments")
        #expect(summary.maxLagPartitionID == 2)

        let offsets = try await client.committedOffsets(group: Demo.consumerGroup)
        #expect(
            offsets
                == Dictionary(
                    uniqueKeysWithValues: (0..<6).map { (TopicPartition(topic: "orders", partition: $0), 40) }))
        #expect(try await client.committedOffsets(group: "absent") == nil)
    }

    @Test func deniedReadsAreErrorsNotAbsence() async throws {
        let harness = try Harness(
            always: Reply.json(403, ["error_code": 40301, "message": "Request is not authorized"]))
        await #expect(throws: ConfluentAPIError.self) { try await harness.kafka().consumerLags(group: "g") }
        await #expect(throws: ConfluentAPIError.self) { try await harness.kafka().consumerGroup("g") }
    }

    @Test func specValidBodiesDecode() async throws {
        let contract = try optionalContract()
        let group: JSON = [
            "kind": "KafkaConsumerGroup", "metadata": Fixtures.metadata("/consumer-groups/g"),
            "cluster_id": "lkc-jump", "consumer_group_id": "g", "is_simple": false,
            "partition_assignor": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
            "state": "RECONCILING", "type": "CONSUMER", "is_mixed_consumer_group": true,
            "coordinator": ["related": .string(Fixtures.clusterBase + "/brokers/1")],
            "consumers": ["related": .string(Fixtures.clusterBase + "/consumer-groups/g/consumers")],
            "lag_summary": ["related": .string(Fixtures.clusterBase + "/consumer-groups/g/lag-summary")],
        ]
        let lag: JSON = [
            "kind": "KafkaConsumerLag", "metadata": Fixtures.metadata("/consumer-groups/g/lags/orders/partitions/3"),
            "cluster_id": "lkc-jump", "consumer_group_id": "g", "topic_name": "orders", "partition_id": 3,
            "current_offset": 9_000_000_000, "log_end_offset": 9_000_000_010, "lag": 10, "consumer_id": "c-1",
            "instance_id": "i-1", "client_id": "app",
        ]
        let summary: JSON = [
            "kind": "KafkaConsumerGroupLagSummary", "metadata": Fixtures.metadata("/consumer-groups/g/lag-summary"),
            "cluster_id": "lkc-jump", "consumer_group_id": "g", "max_lag_consumer_id": "c-1",
            "max_lag_instance_id": nil, "max_lag_client_id": "app", "max_lag_topic_name": "orders",
            "max_lag_partition_id": 3, "max_lag": 10, "total_lag": 12,
            "max_lag_consumer": ["related": .string(Fixtures.clusterBase + "/consumer-groups/g/consumers/c-1")],
            "max_lag_partition": ["related": .string(Fixtures.clusterBase + "/topics/orders/partitions/3")],
        ]
        let groups = Fixtures.collection("KafkaConsumerGroupList", "/consumer-groups", [group])
        let lags = Fixtures.collection("KafkaConsumerLagList", "/consumer-groups/g/lags", [lag])
        let base = "/kafka/v3/clusters/lkc-jump/consumer-groups"
        if let contract {
            for (path, body) in [
                (base, groups), (base + "/g", group), (base + "/g/lags", lags),
                (base + "/g/lags/orders/partitions/3", lag), (base + "/g/lag-summary", summary),
            ] {
                let violations = contract.validateResponse(method: "GET", path: path, status: 200, body: body.jsonBytes)
                #expect(reported(violations, path).isEmpty)
            }
        }
        let harness = try Harness { request in
            switch request.pathOnly {
            case base: Reply.json(200, groups)
            case base + "/g": Reply.json(200, group)
            case base + "/g/lags": Reply.json(200, lags)
            case base + "/g/lag-summary": Reply.json(200, summary)
            default: Reply.json(200, lag)
            }
        }
        let client = harness.kafka()
        #expect(try await client.listConsumerGroups().map(\.state) == ["RECONCILING"])
        #expect(try await client.consumerGroup("g")?.type == "CONSUMER")
        let decoded = try #require(try await client.consumerLags(group: "g")?.first)
        #expect(decoded.currentOffset == 9_000_000_000)
        #expect(decoded.instanceID == "i-1")
        #expect(try await client.consumerLag(group: "g", topic: "orders", partition: 3) == decoded)
        #expect(try await client.consumerLagSummary(group: "g")?.maxLagInstanceID == nil)
        #expect(
            try await client.committedOffsets(group: "g") == [
                TopicPartition(topic: "orders", partition: 3): 9_000_000_000
            ])
    }
}
