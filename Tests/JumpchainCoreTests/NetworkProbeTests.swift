import Foundation
import JumpchainTestSupport
import Testing

@testable import JumpchainCore

/// The doctor's probes against real sockets on 127.0.0.1.
@Suite struct NetworkProbeTests {
    @Test(arguments: [
        ("10.1.2.3", true), ("172.16.0.1", true), ("172.31.255.255", true), ("172.32.0.1", false),
        ("192.168.1.1", true), ("127.0.0.1", true), ("169.254.10.10", true), ("100.64.0.1", true),
        ("100.128.0.1", false), ("8.8.8.8", false), ("52.10.1.1", false), ("::1", true), ("fd12::1", true),
        ("fe80::1", true), ("2001:db8::1", false),
    ])
    func classifiesPrivateAddresses(_ address: String, _ isPrivate: Bool) {
        #expect(NetworkProbe.isPrivate(address) == isPrivate)
    }

    @Test func resolvesLocalhostAndReportsRefusedAndAcceptedConnections() async throws {
        let resolved = await NetworkProbe.resolve("127.0.0.1", port: 9, timeout: .seconds(3))
        let address = try #require(try? resolved.get().first)
        #expect(address.isPrivate)

        // A port nothing listens on: refused at once, not a timeout.
        var closed = address
        closed.port = UInt16(try TLSTestServer.freePort())
        guard case .failure(let refused) = NetworkProbe.connect(closed, timeout: .seconds(3)) else {
            Issue.record("connecting to a closed port succeeded")
            return
        }
        #expect(refused.message.contains("refused"), "\(refused.message)")

        let server = try TLSTestServer.start()
        defer { server.stop() }
        var open = address
        open.port = UInt16(server.port)
        #expect((try? NetworkProbe.connect(open, timeout: .seconds(3)).get()) != nil)
    }
}
