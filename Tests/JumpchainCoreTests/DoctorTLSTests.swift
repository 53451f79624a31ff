import Foundation
import JumpchainHTTP
import JumpchainTestSupport
import Testing

@testable import JumpchainCore

/// The doctor's TLS layer over https on 127.0.0.1 (`openssl s_server`, a CA of the test's own): a certificate for
/// the endpoint's name passes the handshake with the name checked; one for another name is reported as a name
/// mismatch, within the probe timeout.
@Suite struct DoctorTLSTests {
    @Test func certificateNamesAreChecked() async throws {
        let matching = try TLSTestServer.start()
        defer { matching.stop() }
        let mismatched = try TLSTestServer.start(subjectAltName: "DNS:other.example")
        defer { mismatched.stop() }
        // Both servers' CAs are trusted: only the second one's name is wrong.
        let bundle = matching.directory.appendingPathComponent("both-cas.pem").path
        try
            (String(contentsOfFile: matching.caPath, encoding: .utf8)
            + String(contentsOfFile: mismatched.caPath, encoding: .utf8))
            .write(toFile: bundle, atomically: true, encoding: .utf8)
        let playbookPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks/demo.yaml").path
        var environment: [String: String] = [
            "JUMPCHAIN_CONTROL_PLANE": matching.url, "JUMPCHAIN_ORIGIN_REST": matching.url,
            "JUMPCHAIN_JUMP_REST": matching.url, "JUMPCHAIN_TARGET_REST": mismatched.url,
            "JUMPCHAIN_CLOUD_KEY": "CLOUDKEY", "JUMPCHAIN_CLOUD_SECRET": "cloud-secret",
            "JUMPCHAIN_ORIGIN_KEY": "ORIGINKEY", "JUMPCHAIN_ORIGIN_SECRET": "origin-secret",
            "JUMPCHAIN_TARGET_KEY": "TARGETKEY", "JUMPCHAIN_TARGET_SECRET": "target-secret",
            "JUMPCHAIN_LINK_SA": "sa-link",
        ]
        for role in ["ORIGIN", "JUMP", "TARGET"] {
            environment["JUMPCHAIN_\(role)_ID"] = "lkc-\(role.lowercased())"
            environment["JUMPCHAIN_\(role)_ENV"] = "env-\(role.lowercased())"
            environment["JUMPCHAIN_\(role)_BOOTSTRAP"] = "127.0.0.1:\(try TLSTestServer.freePort())"
        }
        let (playbook, _) = try PlaybookLoader.load(path: playbookPath, environment: environment)
        let credentials = try RolloutCredentials.resolve(playbook, environment: environment, stdin: .none)
        defer { credentials.wipe() }

        let report = await Doctor.run(
            playbook, credentials: credentials, timeout: .seconds(5), caBundlePath: bundle)
        let endpoints = Dictionary(uniqueKeysWithValues: report.endpoints.map { ($0.name, $0) })
        func tls(_ name: String) -> DoctorReport.Check? { endpoints[name]?.checks.first { $0.name == "tls" } }

        // The names match: the handshake passes with the name checked (whatever the page answers after it).
        for name in ["control plane", "origin REST", "jump REST"] {
            #expect(tls(name)?.status == .ok, "\(name): \(endpoints[name]?.checks ?? [])")
            #expect(tls(name)?.detail == "handshake ok, name checked", "\(name)")
        }
        // The certificate is for other.example: reported as a name mismatch, not as a timeout or a refusal.
        let target = try #require(tls("target REST"))
        #expect(target.status == .failed, "\(endpoints["target REST"]?.checks ?? [])")
        #expect(target.detail.contains("certificate is not for 127.0.0.1"), "\(target.detail)")
        #expect(endpoints["target REST"]?.usable == false)
        #expect(endpoints["target REST"]?.checks.first { $0.name == "tcp" }?.status == .ok)
    }
}
