public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TLS server for transport tests: `openssl s_server -www` with a CA and a server certificate for
/// 127.0.0.1 generated at test time (openssl is on every machine that builds jumpchain).
public final class TLSTestServer: @unchecked Sendable {
    // Invariant: all properties are set once in `start` and only read afterwards; `process` is thread-safe.
    public let directory: URL
    public let port: Int
    public let caPath: String
    /// A second, unrelated CA: trusting only it must make the handshake fail.
    public let otherCAPath: String
    private let process: Process

    public var url: String { "https://127.0.0.1:\(port)/" }

    private init(directory: URL, port: Int, caPath: String, otherCAPath: String, process: Process) {
        self.directory = directory
        self.port = port
        self.caPath = caPath
        self.otherCAPath = otherCAPath
        self.process = process
    }

    /// `subjectAltName`: the names the server certificate is for (e.g. `DNS:other.example` for a certificate
    /// that does not match 127.0.0.1).
    public static func start(subjectAltName: String = "IP:127.0.0.1,DNS:localhost") throws -> TLSTestServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jumpchain-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
            "-days", "1", "-subj", "/CN=jumpchain test CA",
        ])
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("other.key"), "-out",
            path("other.pem"), "-days", "1", "-subj", "/CN=unrelated CA",
        ])
        try openssl([
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"),
            "-subj", "/CN=127.0.0.1",
        ])
        try "subjectAltName=\(subjectAltName)\n".write(
            toFile: path("ext.cnf"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
            "-CAcreateserial", "-out", path("server.pem"), "-days", "1", "-extfile", path("ext.cnf"),
        ])
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", path("server.pem"), "-key",
            path("server.key"), "-www", "-quiet",
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let server = TLSTestServer(
            directory: directory, port: port, caPath: path("ca.pem"), otherCAPath: path("other.pem"), process: process)
        let deadline = Date().addingTimeInterval(10)
        while !canConnect(port: port) {
            guard Date() < deadline, process.isRunning else {
                server.stop()
                throw ServerError("openssl s_server did not start listening on port \(port)")
            }
            usleep(20_000)
        }
        return server
    }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)  // s_server ignores SIGTERM
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ServerError("openssl \(arguments.first ?? "") failed with status \(process.terminationStatus)")
        }
    }

    /// A port the OS considers free right now (bound to port 0, then released).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { throw ServerError("could not bind a free port") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
