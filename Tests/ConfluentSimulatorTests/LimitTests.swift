import ConfluentSimulator
import Foundation
import JumpchainJSON
import Testing

/// The simulator is bounded like the service: each documented limit answers a 4xx in Confluent's error shape,
/// and the world keeps answering afterwards.
@Suite("Service limits")
struct LimitTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test func hugePartitionCountPatchIsRefusedWithoutAllocating() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let api = world.api(Demo.origin)
        let before = try await SimHTTP.send("GET", api + "/topics/orders", cred: world.origin)
        let patched = try await SimHTTP.send(
            "PATCH", api + "/topics/orders", raw: Array(#"{"partitions_count": 2147483648}"#.utf8), cred: world.origin)
        #expect(patched.status == 400)
        #expect(patched.json["error_code"] == 40002)
        #expect(patched.json["message"]?.stringValue?.contains("exceeds the limit of 100000") == true)
        for raw in [
            #"{"partitions_count": 1e300}"#, #"{"partitions_count": -1}"#,
            #"{"partitions_count": 9223372036854775807}"#,
        ] {
            let reply = try await SimHTTP.send(
                "PATCH", api + "/topics/orders", raw: Array(raw.utf8), cred: world.origin)
            #expect((400..<500).contains(reply.status), "\(raw) → \(reply.status)")
        }
        let after = try await SimHTTP.send("GET", api + "/topics/orders", cred: world.origin)
        #expect(after.status == 200)
        #expect(after.json["partitions_count"] == before.json["partitions_count"])
    }

    @Test func partitionsPerClusterAreCapped() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let api = world.api(Demo.origin)
        let big = try await SimHTTP.send(
            "POST", api + "/topics", json: ["topic_name": "big", "partitions_count": 99_000], cred: world.origin)
        #expect(big.status == 201)
        let over = try await SimHTTP.send(
            "POST", api + "/topics", json: ["topic_name": "more", "partitions_count": 2_000], cred: world.origin)
        #expect(over.status == 400)
        #expect(over.json["error_code"] == 40002)
        #expect(over.json["message"]?.stringValue?.contains("limit of 100000 partitions") == true)
        let grow = try await SimHTTP.send(
            "PATCH", api + "/topics/big", json: ["partitions_count": 100_000], cred: world.origin)
        #expect(grow.status == 400)
        let tooMany = try await SimHTTP.send(
            "POST", api + "/topics", json: ["topic_name": "huge", "partitions_count": 100_001], cred: world.origin)
        #expect(tooMany.status == 400)
    }

    @Test func topicAndLinkNamesFollowKafkasRule() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let api = world.api(Demo.origin)
        let longest = String(repeating: "a", count: 249)
        #expect(
            try await SimHTTP.send("POST", api + "/topics", json: ["topic_name": .string(longest)], cred: world.origin)
                .status == 201)
        for name in [longest + "a", "..", ".", "ümlaut", "has space", "slash/name"] {
            let reply = try await SimHTTP.send(
                "POST", api + "/topics", json: ["topic_name": .string(name)], cred: world.origin)
            #expect(reply.status == 400, "\(name)")
            #expect(reply.json["error_code"] == 40002)
            #expect(reply.json["message"]?.stringValue?.contains("illegal") == true || name.count < 3)
        }
        let link = try await SimHTTP.send(
            "POST", api + "/links?link_name=bad%20name", json: ["destination_cluster_id": "lkc-jump"],
            cred: world.origin)
        #expect(link.status == 400)
        #expect(link.json["message"]?.stringValue?.hasPrefix("Cluster link name") == true)
    }

    @Test func oversizedBodiesAnswer413InEachShape() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let oversized = [UInt8](repeating: UInt8(ascii: " "), count: 16 * 1024 * 1024 + 1)
        let cluster = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/topics/orders/records", raw: oversized, cred: world.origin)
        #expect(cluster.status == 413)
        #expect(cluster.json["error_code"] == 413)
        let control = try await SimHTTP.send(
            "POST", world.control("/iam/v2/api-keys"), raw: oversized, cred: world.cloud)
        #expect(control.status == 413)
        #expect(control.json["errors"]?.arrayValue?.first?["code"] == "request_entity_too_large")
        let after = try await SimHTTP.send("GET", world.api(Demo.origin) + "/topics/orders", cred: world.origin)
        #expect(after.status == 200)
    }

    @Test func oneRecordPerProduceRequest() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let url = world.api(Demo.origin) + "/topics/orders/records"
        let two = #"{"value":{"type":"JSON","data":1}}{"value":{"type":"JSON","data":2}}"#
        let reply = try await SimHTTP.send("POST", url, raw: Array(two.utf8), cred: world.origin)
        #expect(reply.status == 400)
        #expect(reply.json["error_code"] != nil)
        let one = try await SimHTTP.send(
            "POST", url, raw: Array(#"{"value":{"type":"JSON","data":1}}"#.utf8), cred: world.origin)
        #expect(one.status == 200)
    }

    @Test func aclsPerClusterAreCapped() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let items: [JSON] = (0..<10_001).map { index in
            [
                "resource_type": "TOPIC", "resource_name": .string("t-\(index)"), "pattern_type": "LITERAL",
                "principal": "User:sa-x", "host": "*", "operation": "READ", "permission": "ALLOW",
            ]
        }
        let reply = try await SimHTTP.send(
            "POST", world.api(Demo.origin) + "/acls:batch", json: ["data": .array(items)], cred: world.origin)
        #expect(reply.status == 400)
        #expect(reply.json["message"]?.stringValue?.contains("limit of 10000 ACLs") == true)
    }

    @Test func aStalledUploadDoesNotStallTheWorld() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        // A request that announces 1 MiB and sends 10 bytes, held open: its body is awaited outside the world
        // lock, so every listener, its own included, keeps answering meanwhile.
        let url = URL(string: world.api(Demo.origin))!
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(url.port!).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(connected == 0)
        let head =
            "POST \(url.path)/topics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "Content-Length: 1048576\r\n\r\n{\"topic_na"
        _ = head.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        for (cluster, cred) in [(Demo.origin, world.origin), (Demo.target, world.target)] {
            let reply = try await SimHTTP.send("GET", world.api(cluster) + "/topics", cred: cred, timeout: .seconds(10))
            #expect(reply.status == 200)
        }
        #expect(try await SimHTTP.send("GET", world.control("/iam/v2/api-keys"), cred: world.cloud).status == 200)
    }

    @Test func forgedPageTokenCannotOverflow() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let token =
            Data("offset:1;9223372036854775807".utf8).base64EncodedString()
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let reply = try await SimHTTP.send(
            "GET", world.control("/iam/v2/api-keys?page_token=" + token), cred: world.cloud)
        #expect(reply.status == 200)
    }
}
