import ConfluentSimulator
import Foundation
import JumpchainHTTP
import JumpchainJSON
import Testing

/// Per-listener bind addresses (`bind:` in a world, `jumpchain sim --bind`): a listener serves only on its address,
/// and every URL the simulator reports names that address.
@Suite("Per-listener bind addresses")
struct ListenerBindTests {
    typealias Demo = SimulatorConfig.JumpDemo

    @Test("a listener bound to 127.0.0.2 answers there only, and the reported URLs say so")
    func listenerServesOnItsOwnAddress() async throws {
        // The origin's port is one this test holds at 127.0.0.1 (bound, not listening): nothing else can listen
        // there while the test runs, so a connection to it is refused unless the simulator serves it there too.
        // (An OS-chosen port at 127.0.0.2 could be listened on at 127.0.0.1 by another test at the same time.)
        let reserved = try Self.reservePort()
        defer { close(reserved.socket) }
        var config = SimulatorConfig.jumpDemo()
        config.bind = ["origin": "127.0.0.2:\(reserved.port)", Demo.target: "127.0.0.1:0"]  // a cluster name, an id
        let sim = try await Simulator.start(config, revealOperatorSecrets: true)
        defer { Task { await sim.stop() } }
        let originURL = sim.clusterRESTURL(clusterID: Demo.origin)
        let port = try #require(sim.ports[Demo.origin])
        #expect(port == reserved.port)
        #expect(originURL == "http://127.0.0.2:\(port)")
        #expect(sim.connectionInfo.clusters.first { $0.id == Demo.origin }?.restURL == originURL)
        #expect(sim.clusterRESTURL(clusterID: Demo.target).hasPrefix("http://127.0.0.1:"))
        #expect(sim.controlPlaneURL.hasPrefix("http://127.0.0.1:"))
        let key = try #require(sim.connectionInfo.operatorKeys.first { $0.resource == Demo.origin })
        let path = "/kafka/v3/clusters/\(Demo.origin)"
        let served = try await SimHTTP.send("GET", originURL + path, cred: Cred(key: key.id, secret: key.secret))
        #expect(served.status == 200)
        // The CMK endpoint tells clients where the cluster listens.
        let cloud = try #require(sim.connectionInfo.operatorKeys.first { $0.resource == nil })
        let cmk = try await SimHTTP.send(
            "GET", sim.controlPlaneURL + "/cmk/v2/clusters/\(Demo.origin)?environment=\(Demo.environment)",
            cred: Cred(key: cloud.id, secret: cloud.secret))
        #expect(cmk.json["spec"]?["http_endpoint"] == .string(originURL))
        // Nothing listens on that port at 127.0.0.1.
        await #expect(throws: TransportError.self) {
            _ = try await SimHTTP.send(
                "GET", "http://127.0.0.1:\(port)" + path, cred: Cred(key: key.id, secret: key.secret),
                timeout: .seconds(3))
        }
    }

    /// A socket bound to 127.0.0.1 at an OS-chosen port, not listening (connections to it are refused).
    static func reservePort() throws -> (socket: Int32, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        if !bound { close(socket) }
        try #require(bound, "could not reserve a port at 127.0.0.1 (errno \(errno))")
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("a bind naming no listener, or no address, is refused with what to write")
    func badBindsAreRefused() async throws {
        for (bind, needle) in [
            (["orign": "127.0.0.2"], "bind: orign is not a listener"),
            (["control-plane": "10.0.0.1:http"], "bind: control-plane: 10.0.0.1:http is not an address"),
        ] {
            var config = SimulatorConfig.jumpDemo()
            config.bind = bind
            do {
                let sim = try await Simulator.start(config)
                await sim.stop()
                Issue.record("\(bind) was accepted")
            } catch let error as SimulatorError {
                #expect(error.code == .invalidConfig)
                #expect(error.message.contains(needle), "\(error.message)")
            }
        }
        let yaml = """
            clusters: [{id: lkc-a, name: alpha}]
            bind: {alpha: "127.0.0.3:0", control-plane: "[::1]"}
            """
        let loaded = try SimulatorConfig.load(yaml: yaml)
        #expect(loaded.bind == ["alpha": "127.0.0.3:0", "control-plane": "[::1]"])
        #expect(ListenerAddress(parsing: "[::1]:8080") == ListenerAddress(host: "::1", port: 8080))
        #expect(ListenerAddress(parsing: "10.231.0.1") == ListenerAddress(host: "10.231.0.1"))
        #expect(ListenerAddress(parsing: "10.231.0.1:70000") == nil)
    }
}
