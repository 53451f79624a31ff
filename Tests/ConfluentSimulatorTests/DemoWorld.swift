import ConfluentSimulator
import Foundation
import JumpchainJSON
import Testing

/// A running `jump-demo` world (optionally adjusted) plus the operator's credentials and helpers.
struct DemoWorld: Sendable {
    typealias Demo = SimulatorConfig.JumpDemo

    let sim: Simulator
    let cloud: Cred
    let origin: Cred
    let target: Cred

    /// Starts the demo world with fast timings (key propagation `keyDelay`), after `adjust`.
    static func start(
        keyDelay: Double = 0.1, replicationRate: Double = 1000,
        adjust: (inout SimulatorConfig) -> Void = { _ in }
    ) async throws -> DemoWorld {
        var config = SimulatorConfig.jumpDemo()
        config.timing.keyPropagationSeconds = keyDelay
        config.timing.replicationRecordsPerSecond = replicationRate
        config.timing.networkLinkProvisioningSeconds = 0.2
        config.timing.tickIntervalSeconds = 0.02
        config.producers = []
        adjust(&config)
        let sim = try await Simulator.start(config, revealOperatorSecrets: true)
        func key(_ id: String) -> Cred {
            let key = sim.connectionInfo.operatorKeys.first { $0.id == id }!
            return Cred(key: key.id, secret: key.secret)
        }
        return DemoWorld(
            sim: sim, cloud: key(Demo.operatorCloudKey), origin: key(Demo.operatorOriginKey),
            target: key(Demo.operatorTargetKey))
    }

    func stop() async { await sim.stop() }

    /// `<rest url>/kafka/v3/clusters/<id>`.
    func api(_ cluster: String) -> String { sim.clusterRESTURL(clusterID: cluster) + "/kafka/v3/clusters/" + cluster }

    func control(_ path: String) -> String { sim.controlPlaneURL + path }

    /// Creates a key through the control plane and waits until it authenticates (Kafka keys).
    func createKey(owner: String, resource: String?, wait: Bool = true) async throws -> Cred {
        var spec: [(String, JSON)] = [("display_name", "test"), ("owner", ["id": .string(owner)])]
        if let resource {
            spec.append(("resource", ["id": .string(resource), "environment": .string(Demo.environment)]))
        }
        let reply = try await SimHTTP.send(
            "POST", control("/iam/v2/api-keys"), json: ["spec": .object(spec)], cred: cloud)
        try #require(reply.status == 202, "create key: \(reply.status) \(reply.text)")
        let cred = Cred(key: reply.json["id"]!.stringValue!, secret: reply.json["spec"]!["secret"]!.stringValue!)
        if wait, let resource { try await waitUsable(cred, cluster: resource) }
        return cred
    }

    func waitUsable(_ cred: Cred, cluster: String) async throws {
        try await eventually("key \(cred.key) usable on \(cluster)") {
            try await SimHTTP.send("GET", api(cluster) + "/topics", cred: cred).status == 200
        }
    }

    func state() async throws -> JSON {
        let reply = try await SimHTTP.send("GET", control("/sim/v1/state"), cred: nil)
        return reply.json
    }

    func setFaults(_ faults: JSON) async throws {
        let reply = try await SimHTTP.send("POST", control("/sim/v1/faults"), json: faults, cred: nil)
        try #require(reply.status == 200, "faults: \(reply.text)")
    }

    /// Polls `condition` every 20 ms until it holds, failing after `timeout` seconds (generous: a shared,
    /// loaded CI machine can stall the background ticker for seconds; a passing run returns at once).
    func eventually(
        _ what: String, timeout: Double = 20, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    static func jaas(_ cred: Cred) -> String {
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"\(cred.key)\" password=\"\(cred.secret)\";"
    }

    static func configs(_ pairs: [(String, String)]) -> JSON {
        .array(pairs.map { ["name": .string($0.0), "value": .string($0.1)] })
    }

    func addACL(
        cluster: String, with cred: Cred, principal: String, type: String, name: String, operation: String,
        pattern: String = "LITERAL"
    ) async throws {
        let reply = try await SimHTTP.send(
            "POST", api(cluster) + "/acls",
            json: [
                "resource_type": .string(type), "resource_name": .string(name), "pattern_type": .string(pattern),
                "principal": .string(principal), "host": "*", "operation": .string(operation), "permission": "ALLOW",
            ], cred: cred)
        try #require(reply.status == 201, "acl: \(reply.status) \(reply.text)")
    }

    // MARK: The two legs of the jump

    struct Leg1: Sendable {
        var jumpOperator: Cred
        var linkKey: Cred
    }

    /// Source-initiated origin → jump link `name`: destination half on the jump, then the source half on
    /// the origin with the jump link key (granted ALTER on the jump cluster).
    func setUpLeg1(name: String = "leg1", mirror topics: [String] = ["orders"]) async throws -> Leg1 {
        let jumpOperator = try await createKey(owner: Demo.operatorUser, resource: Demo.jump)
        let linkKey = try await createKey(owner: Demo.linkServiceAccount, resource: Demo.jump)
        try await addACL(
            cluster: Demo.jump, with: jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "CLUSTER",
            name: "kafka-cluster", operation: "ALTER")
        try await addACL(
            cluster: Demo.jump, with: jumpOperator, principal: "User:\(Demo.linkServiceAccount)", type: "TOPIC",
            name: "*", operation: "READ")
        try await createDestinationHalf(name: name, jumpOperator: jumpOperator)
        try await createSourceHalf(name: name, linkKey: linkKey)
        for topic in topics {
            let reply = try await SimHTTP.send(
                "POST", api(Demo.jump) + "/links/\(name)/mirrors", json: ["source_topic_name": .string(topic)],
                cred: jumpOperator)
            try #require(reply.status == 204, "mirror \(topic): \(reply.status) \(reply.text)")
        }
        return Leg1(jumpOperator: jumpOperator, linkKey: linkKey)
    }

    func createDestinationHalf(name: String, jumpOperator: Cred) async throws {
        let reply = try await SimHTTP.send(
            "POST", api(Demo.jump) + "/links?link_name=\(name)",
            json: [
                "source_cluster_id": .string(Demo.origin),
                "configs": Self.configs([("link.mode", "DESTINATION"), ("connection.mode", "INBOUND")]),
            ], cred: jumpOperator)
        try #require(reply.status == 204, "destination half: \(reply.status) \(reply.text)")
    }

    func sourceHalfBody(linkKey: Cred, local: Cred? = nil) -> JSON {
        [
            "destination_cluster_id": .string(Demo.jump),
            "configs": Self.configs([
                ("link.mode", "SOURCE"), ("connection.mode", "OUTBOUND"),
                ("bootstrap.servers", sim.bootstrap(clusterID: Demo.jump)), ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "PLAIN"), ("sasl.jaas.config", Self.jaas(linkKey)),
                ("local.security.protocol", "SASL_SSL"), ("local.sasl.mechanism", "PLAIN"),
                ("local.sasl.jaas.config", Self.jaas(local ?? origin)),
            ]),
        ]
    }

    /// The source half's local key is the operator's origin key: its owner needs READ on the origin topics
    /// (admins get no bypass for what a link reads).
    func createSourceHalf(name: String, linkKey: Cred) async throws {
        try await addACL(
            cluster: Demo.origin, with: origin, principal: "User:\(Demo.operatorUser)", type: "TOPIC", name: "*",
            operation: "READ")
        let reply = try await SimHTTP.send(
            "POST", api(Demo.origin) + "/links?link_name=\(name)", json: sourceHalfBody(linkKey: linkKey), cred: origin)
        try #require(reply.status == 204, "source half: \(reply.status) \(reply.text)")
    }

    /// Destination-initiated jump → target link `name` on the target, reading the jump with `linkKey`.
    func setUpLeg2(name: String = "leg2", linkKey: Cred, mirror topics: [String] = ["orders"]) async throws {
        let reply = try await SimHTTP.send(
            "POST", api(Demo.target) + "/links?link_name=\(name)", json: destinationInitiatedBody(linkKey: linkKey),
            cred: target)
        try #require(reply.status == 204, "leg 2: \(reply.status) \(reply.text)")
        for topic in topics {
            let mirror = try await SimHTTP.send(
                "POST", api(Demo.target) + "/links/\(name)/mirrors", json: ["source_topic_name": .string(topic)],
                cred: target)
            try #require(mirror.status == 204, "mirror \(topic): \(mirror.status) \(mirror.text)")
        }
    }

    func destinationInitiatedBody(linkKey: Cred, source: String = Demo.jump) -> JSON {
        [
            "source_cluster_id": .string(source),
            "configs": Self.configs([
                ("link.mode", "DESTINATION"), ("connection.mode", "OUTBOUND"),
                ("bootstrap.servers", sim.bootstrap(clusterID: source)), ("security.protocol", "SASL_SSL"),
                ("sasl.mechanism", "PLAIN"), ("sasl.jaas.config", Self.jaas(linkKey)),
            ]),
        ]
    }

    /// End offsets of `topic` on `cluster` from the introspection state.
    func endOffsets(_ cluster: String, _ topic: String) async throws -> [Int64] {
        let topics = try await state()["topics"]?.arrayValue ?? []
        let entry = topics.first {
            $0["cluster_id"]?.stringValue == cluster && $0["topic_name"]?.stringValue == topic
        }
        return entry?["end_offsets"]?.arrayValue?.compactMap(\.intValue) ?? []
    }

    func link(_ cluster: String, _ name: String, with cred: Cred) async throws -> JSON {
        try await SimHTTP.send("GET", api(cluster) + "/links/\(name)", cred: cred).json
    }
}
