import ConfluentSimulator
import JumpchainJSON
import Testing

@Suite("Topics, records and ACL authorisation")
struct TopicAndACLTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func topicsCreateListGetPatchDelete() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let api = world.api(Demo.origin)
        let created = try await SimHTTP.send(
            "POST", api + "/topics", json: ["topic_name": "new", "partitions_count": 2], cred: world.origin)
        #expect(created.status == 201)
        #expect(created.json["kind"] == "KafkaTopic")
        #expect(created.json["partitions_count"] == 2)
        #expect(created.json["metadata"]?["self"] == .string(api + "/topics/new"))
        let duplicate = try await SimHTTP.send("POST", api + "/topics", json: ["topic_name": "new"], cred: world.origin)
        #expect(duplicate.json == ["error_code": 40002, "message": "Topic 'new' already exists."])
        let list = try await SimHTTP.send("GET", api + "/topics", cred: world.origin)
        #expect(list.json["data"]?.arrayValue?.map { $0["topic_name"] } == ["inventory", "new", "orders", "payments"])
        let patched = try await SimHTTP.send(
            "PATCH", api + "/topics/new", json: ["partitions_count": 4], cred: world.origin)
        #expect(patched.json["partitions_count"] == 4)
        let shrink = try await SimHTTP.send(
            "PATCH", api + "/topics/new", json: ["partitions_count": 1], cred: world.origin)
        #expect(shrink.status == 400)
        let partitions = try await SimHTTP.send("GET", api + "/topics/new/partitions", cred: world.origin)
        #expect(partitions.json["data"]?.arrayValue?.count == 4)
        let partition = try await SimHTTP.send("GET", api + "/topics/new/partitions/3", cred: world.origin)
        #expect(partition.json["kind"] == "KafkaPartition")
        #expect(partition.json["partition_id"] == 3)
        #expect(try await SimHTTP.send("GET", api + "/topics/new/partitions/9", cred: world.origin).status == 404)
        #expect(try await SimHTTP.send("DELETE", api + "/topics/new", cred: world.origin).status == 204)
        let gone = try await SimHTTP.send("GET", api + "/topics/new", cred: world.origin)
        #expect(gone.status == 404)
        #expect(gone.json["error_code"] == 40403)
    }

    @Test func produceReturnsPartitionAndOffsetAndChecksContentType() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let url = world.api(Demo.origin) + "/topics/payments/records"
        let reply = try await SimHTTP.send(
            "POST", url,
            json: [
                "partition_id": 2, "key": ["type": "STRING", "data": "k"], "value": ["type": "BINARY", "data": "AAEC"],
            ],
            cred: world.origin)
        #expect(reply.status == 200)
        #expect(reply.json["partition_id"] == 2)
        #expect(reply.json["offset"] == 60)
        #expect(reply.json["value"] == ["type": "BINARY", "size": 3])
        #expect(reply.json["key"] == ["type": "STRING", "size": 1])
        let wrongType = try await SimHTTP.send(
            "POST", url, raw: Array("x".utf8), contentType: "text/plain", cred: world.origin)
        #expect(wrongType.status == 415)
        let empty = try await SimHTTP.send("POST", url, raw: [], cred: world.origin)
        #expect(empty.status == 422)
    }

    @Test func aclsCreateBatchListAndDeleteWithFilters() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let api = world.api(Demo.origin)
        func acl(_ topic: String, _ op: String) -> JSON {
            [
                "resource_type": "TOPIC", "resource_name": .string(topic), "pattern_type": "LITERAL",
                "principal": "User:sa-link01", "host": "*", "operation": .string(op), "permission": "ALLOW",
            ]
        }
        #expect(
            try await SimHTTP.send("POST", api + "/acls", json: acl("orders", "READ"), cred: world.origin).status == 201
        )
        let batch = try await SimHTTP.send(
            "POST", api + "/acls:batch", json: ["data": [acl("payments", "READ"), acl("payments", "WRITE")]],
            cred: world.origin)
        #expect(batch.status == 201)
        let badCluster = try await SimHTTP.send(
            "POST", api + "/acls",
            json: [
                "resource_type": "CLUSTER", "resource_name": "other", "pattern_type": "LITERAL",
                "principal": "User:sa-link01", "host": "*", "operation": "ALTER", "permission": "ALLOW",
            ],
            cred: world.origin)
        #expect(badCluster.status == 400)
        #expect(badCluster.json["error_code"] == 40002)
        let list = try await SimHTTP.send("GET", api + "/acls?resource_name=payments", cred: world.origin)
        #expect(list.json["kind"] == "KafkaAclList")
        #expect(list.json["data"]?.arrayValue?.count == 2)
        #expect(list.json["data"]?.arrayValue?.first?["kind"] == "KafkaAcl")
        let missingFilter = try await SimHTTP.send("DELETE", api + "/acls?resource_type=TOPIC", cred: world.origin)
        #expect(missingFilter.status == 400)
        let deleted = try await SimHTTP.send(
            "DELETE", api + "/acls?resource_type=TOPIC&pattern_type=LITERAL&operation=WRITE&permission=ALLOW",
            cred: world.origin)
        #expect(deleted.status == 200)
        #expect(deleted.json["data"]?.arrayValue?.count == 1)
        let remaining = try await SimHTTP.send("GET", api + "/acls", cred: world.origin)
        #expect(remaining.json["data"]?.arrayValue?.count == 2)
    }

    @Test func nonAdminPrincipalsNeedMatchingACLs() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let key = try await world.createKey(owner: Demo.linkServiceAccount, resource: Demo.origin)
        let api = world.api(Demo.origin)
        let hidden = try await SimHTTP.send("GET", api + "/topics", cred: key)
        #expect(hidden.status == 200)
        #expect(hidden.json["data"] == [])
        let produce = try await SimHTTP.send(
            "POST", api + "/topics/orders/records", json: ["value": ["type": "STRING", "data": "x"]], cred: key)
        #expect(produce.status == 403)
        #expect(produce.json == ["error_code": 40301, "message": "Request is not authorized"])
        #expect(try await SimHTTP.send("GET", api + "/topics/orders/configs", cred: key).status == 403)
        #expect(try await SimHTTP.send("GET", api + "/links", cred: key).status == 403)
        #expect(try await SimHTTP.send("GET", api + "/acls", cred: key).status == 403)
        try await world.addACL(
            cluster: Demo.origin, with: world.origin, principal: "User:\(Demo.linkServiceAccount)", type: "TOPIC",
            name: "orders", operation: "WRITE")
        try await world.addACL(
            cluster: Demo.origin, with: world.origin, principal: "User:\(Demo.linkServiceAccount)", type: "TOPIC",
            name: "payments", operation: "DESCRIBE_CONFIGS")
        let visible = try await SimHTTP.send("GET", api + "/topics", cred: key)
        #expect(visible.json["data"]?.arrayValue?.map { $0["topic_name"] } == ["orders"])
        let allowed = try await SimHTTP.send(
            "POST", api + "/topics/orders/records", json: ["value": ["type": "STRING", "data": "x"]], cred: key)
        #expect(allowed.status == 200)
        #expect(try await SimHTTP.send("GET", api + "/topics/payments/configs", cred: key).status == 200)
        // Non-admin Cloud keys are refused on the control plane.
        let cloudKey = try await world.createKey(owner: Demo.linkServiceAccount, resource: nil)
        let forbidden = try await SimHTTP.send("GET", world.control("/iam/v2/api-keys"), cred: cloudKey)
        #expect(forbidden.status == 403)
        #expect(forbidden.json["errors"]?.arrayValue?.first?["code"] == "forbidden_access")
    }
}
