import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for transport tests: real sockets, keep-alive, a scripted answer per
/// request, and counters of accepted and concurrent TCP connections.
///
/// It is deliberately independent of the simulator and of our client, so the transport is tested against
/// something it did not write itself.
public final class ScriptedHTTPServer: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: mutable state lives in `state`, guarded by `lock`; `listener`
    // is set once in init and closed once in stop().
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// The index of the TCP connection this request arrived on (0-based, in accept order).
        public var connection: Int

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]
        /// Waits this long before answering.
        public var delay: Duration
        /// Never answers (the connection is held open until the server stops).
        public var hang: Bool
        /// Closes the connection without answering.
        public var drop: Bool
        /// Sends the status line, the headers and then the body one byte per interval (a hostile slow server).
        public var trickle: Duration?

        public init(
            status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [], delay: Duration = .zero,
            hang: Bool = false, drop: Bool = false, trickle: Duration? = nil
        ) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.hang = hang
            self.drop = drop
            self.trickle = trickle
        }

        public static func text(_ status: Int, _ text: String, headers: [(String, String)] = []) -> Response {
            Response(status: status, headers: headers + [("Content-Type", "text/plain")], body: Array(text.utf8))
        }
    }

    private struct State {
        var requests: [Request] = []
        var accepted = 0
        var open = 0
        var maxOpen = 0
        var sockets: Set<Int32> = []
        var stopped = false
    }

    public let port: Int
    private let listener: Int32
    private let lock = Mutex(())
    private var state = State()
    private let handler: @Sendable (Request) -> Response

    /// Starts listening on 127.0.0.1 with an OS-chosen port.
    public init(handler: @escaping @Sendable (Request) -> Response) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket() failed: errno \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 256) == 0 else {
            close(fd)
            throw ServerError("bind/listen failed: errno \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        listener = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { stop() }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// TCP connections accepted so far.
    public var acceptedConnections: Int { lock.withLock { _ in state.accepted } }
    /// The most connections that were open at the same time.
    public var maxConcurrentConnections: Int { lock.withLock { _ in state.maxOpen } }
    public var requests: [Request] { lock.withLock { _ in state.requests } }

    public func stop() {
        let sockets: Set<Int32>? = lock.withLock { _ in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.sockets
        }
        // Only the first call closes: a second close could hit a descriptor number reused by someone else.
        guard let sockets else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for socket in sockets { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    private var isStopped: Bool { lock.withLock { _ in state.stopped } }

    private func acceptLoop() {
        while !isStopped {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if isStopped { return }
                continue
            }
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let index: Int = lock.withLock { _ in
                state.sockets.insert(client)
                state.accepted += 1
                state.open += 1
                state.maxOpen = max(state.maxOpen, state.open)
                return state.accepted - 1
            }
            let thread = Thread { [self] in serve(client, connection: index) }
            thread.start()
        }
    }

    private func serve(_ socket: Int32, connection: Int) {
        defer {
            lock.withLock { _ in
                state.open -= 1
                state.sockets.remove(socket)
            }
            close(socket)
        }
        var reader = SocketReader(socket: socket)
        while let request = reader.readRequest(connection: connection) {
            lock.withLock { _ in state.requests.append(request) }
            let response = handler(request)
            if response.drop { return }
            if response.hang {
                while !isStopped { usleep(20_000) }
                return
            }
            if response.delay > .zero { Self.sleep(response.delay) }
            var head = "HTTP/1.1 \(response.status) \(Self.reason(response.status))\r\n"
            for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(response.body.count)\r\n\r\n"
            if let interval = response.trickle {
                guard writeAll(socket, Array(head.utf8)) else { return }
                for byte in response.body {
                    Self.sleep(interval)
                    guard !isStopped, writeAll(socket, [byte]) else { return }
                }
                continue
            }
            guard writeAll(socket, Array(head.utf8) + response.body) else { return }
            if request.header("Connection")?.lowercased() == "close" { return }
        }
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        usleep(UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
    }

    private func writeAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 307: return "Temporary Redirect"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }
}

public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Buffered reading of HTTP/1.1 requests (Content-Length and chunked bodies) from a blocking socket.
struct SocketReader {
    let socket: Int32
    var buffer: [UInt8] = []

    mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    mutating func readLine() -> String? {
        while true {
            if let index = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<index])
                buffer.removeFirst(index + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard fill() else { return nil }
        }
    }

    mutating func readBytes(_ count: Int) -> [UInt8]? {
        while buffer.count < count { guard fill() else { return nil } }
        let bytes = Array(buffer[..<count])
        buffer.removeFirst(count)
        return bytes
    }

    mutating func readRequest(connection: Int) -> ScriptedHTTPServer.Request? {
        guard let requestLine = readLine(), !requestLine.isEmpty else { return nil }
        let parts = requestLine.split(separator: " ")
        guard parts.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        while let line = readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            )
        }
        let lookup = { (name: String) in headers.first { $0.name.lowercased() == name }?.value }
        var body: [UInt8] = []
        if let length = lookup("content-length").flatMap(Int.init), length > 0 {
            guard let bytes = readBytes(length) else { return nil }
            body = bytes
        } else if lookup("transfer-encoding")?.lowercased() == "chunked" {
            while let sizeLine = readLine(), let size = Int(sizeLine.split(separator: ";")[0], radix: 16) {
                if size == 0 {
                    _ = readLine()
                    break
                }
                guard let bytes = readBytes(size) else { return nil }
                body += bytes
                _ = readLine()
            }
        }
        return ScriptedHTTPServer.Request(
            method: String(parts[0]), path: String(parts[1]), headers: headers, body: body, connection: connection)
    }
}
