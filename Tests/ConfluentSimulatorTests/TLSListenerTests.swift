import ConfluentSimulator
import Foundation
import JumpchainHTTP
import Testing

/// The simulator's optional TLS: every listener serves HTTPS with a certificate generated at test time.
@Suite struct TLSListenerTests {
    @Test func clusterAnswersOverHTTPSWithTheCABundleAndRefusesWithoutIt() async throws {
        let files = try TestCertificates.make()
        defer { files.remove() }
        let simulator = try await Simulator.start(
            .jumpDemo(), revealOperatorSecrets: true,
            tls: SimulatorTLS(certificateChainPath: files.serverPath, privateKeyPath: files.keyPath))
        do {
            try await checkHTTPS(simulator, caPath: files.caPath)
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    private func checkHTTPS(_ simulator: Simulator, caPath: String) async throws {
        let cluster = SimulatorConfig.JumpDemo.origin
        let key = try #require(
            simulator.connectionInfo.operatorKeys.first { $0.id == SimulatorConfig.JumpDemo.operatorOriginKey })
        let url = simulator.clusterRESTURL(clusterID: cluster) + "/kafka/v3/clusters/\(cluster)/topics"
        let request = HTTPRequest(
            method: .get, url: url, credential: APICredential(key: key.id, secret: Secret(key.secret)))

        let trusting = HTTPClient(configuration: .init(caBundlePath: caPath))
        defer { trusting.shutdown() }
        let response = try await trusting.execute(request)
        #expect(response.status == 200)

        let untrusting = HTTPClient()
        defer { untrusting.shutdown() }
        do {
            _ = try await untrusting.execute(request)
            Issue.record("a client without the test CA completed the TLS handshake")
        } catch {
            #expect(error.code == .tls, "\(error)")
        }

        let info = simulator.connectionInfo
        let urls = [simulator.controlPlaneURL, info.controlPlaneURL, info.stateURL] + info.clusters.map(\.restURL)
        for reported in urls { #expect(reported.hasPrefix("https://"), "\(reported)") }
    }

    @Test func missingCertificateFileFailsStartUpNamingTheFile() async throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).pem")
            .path
        do {
            let simulator = try await Simulator.start(
                .jumpDemo(), tls: SimulatorTLS(certificateChainPath: missing, privateKeyPath: missing))
            await simulator.stop()
            Issue.record("the simulator started without its TLS certificate")
        } catch let error as SimulatorError {
            #expect(error.code == .io)
            #expect(error.description.contains(missing), "\(error)")
        }
    }
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl in a temporary directory.
struct TestCertificates {
    let directory: URL
    var caPath: String { directory.appendingPathComponent("ca.pem").path }
    var serverPath: String { directory.appendingPathComponent("server.pem").path }
    var keyPath: String { directory.appendingPathComponent("server.key").path }

    static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jumpchain-sim-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
            "-days", "1", "-subj", "/CN=jumpchain simulator test CA",
        ])
        try openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
            "-subj", "/CN=127.0.0.1",
        ])
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: path("ext.cnf"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("server.pem"), "-days", "1", "-extfile", path("ext.cnf"),
        ])
        return TestCertificates(directory: directory)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SimulatorError(
                .io, "openssl \(arguments.first ?? "") failed with status \(process.terminationStatus)")
        }
    }
}
