import Foundation
import JumpchainCore
import Testing

/// Cleartext endpoints: refused (before any request) unless loopback or explicitly allowed.
@Suite struct InsecureHTTPTests {
    @Test func cleartextToANonLoopbackHostIsRefusedNamingTheField() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine(
            "  rest_endpoint: https://origin.example:443", with: "  rest_endpoint: http://origin.example:8082")
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:7:18: error: `origin.rest_endpoint` is a cleartext `http://` URL to origin.example, which is "
                    + "not a loopback address: credentials would travel unencrypted; use `https://`, or pass "
                    + "`--allow-insecure-http` if this is intended"
            ])
        let path = scratch.write("pb.yaml", text)
        let (playbook, _) = try PlaybookLoader.load(path: path, environment: [:], allowInsecureHTTP: true)
        #expect(playbook.origin.restEndpoint == "http://origin.example:8082")
    }

    @Test func theControlPlaneEndpointIsCheckedToo() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine(
            "control_plane:", with: "control_plane:\n  endpoint: http://10.0.0.7:8080")
        #expect(
            scratch.diagnostics(text).first?.hasPrefix(
                "pb.yaml:2:13: error: `control_plane.endpoint` is a cleartext `http://` URL to 10.0.0.7") == true)
    }

    @Test func loopbackHostsMayUseCleartext() throws {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "[::1]"] {
            let scratch = PlaybookScratch()
            defer { scratch.remove() }
            let text = validPlaybook.replacingLine(
                "  rest_endpoint: https://origin.example:443", with: "  rest_endpoint: http://\(host):8082")
            #expect(scratch.diagnostics(text).filter { $0.contains("error") } == [], "\(host)")
        }
        #expect(!InsecureHTTPPolicy.isLoopback(host: "127.0.0.1.example.com"))
        #expect(!InsecureHTTPPolicy.isLoopback(host: "10.0.0.1"))
    }
}
