import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Low-level reachability probes for `doctor`: name resolution and a TCP connect, each bounded by a timeout
/// (a blackholed or filtered address is reported as a timeout, never waited on).
enum NetworkProbe {
    /// One resolved address and whether it is in a private (or loopback/link-local/shared) range.
    struct Address: Sendable, Hashable {
        var text: String
        var isPrivate: Bool
        var family: Int32
        var port: UInt16
    }

    /// Resolves `host` with getaddrinfo on a thread of its own; gives up after `timeout`.
    static func resolve(_ host: String, port: UInt16, timeout: Duration) async -> Result<[Address], ProbeFailure> {
        let outcome = Outcome<Result<[Address], ProbeFailure>>()
        let thread = Thread {
            outcome.finish(resolveNow(host, port: port))
        }
        thread.start()
        return await outcome.wait(
            timeout: timeout, fallback: .failure(ProbeFailure("no answer from the resolver within \(timeout)")))
    }

    private static func resolveNow(_ host: String, port: UInt16) -> Result<[Address], ProbeFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let list else {
            return .failure(ProbeFailure("\(host) does not resolve (\(String(cString: gai_strerror(status))))"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [Address] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = list
        while let entry = cursor {
            if let address = entry.pointee.ai_addr, let text = numeric(address, entry.pointee.ai_addrlen) {
                let candidate = Address(
                    text: text, isPrivate: isPrivate(text), family: entry.pointee.ai_family, port: port)
                if !addresses.contains(candidate) { addresses.append(candidate) }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses.isEmpty ? .failure(ProbeFailure("\(host) resolves to no address")) : .success(addresses)
    }

    private static func numeric(_ address: UnsafeMutablePointer<sockaddr>, _ length: socklen_t) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        guard getnameinfo(address, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else {
            return nil
        }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// RFC 1918, loopback, link-local, shared (RFC 6598) and IPv6 unique-local/link-local/loopback addresses.
    static func isPrivate(_ text: String) -> Bool {
        if text.contains(":") {
            let lower = text.lowercased()
            return lower == "::1" || lower.hasPrefix("fc") || lower.hasPrefix("fd") || lower.hasPrefix("fe80")
        }
        let octets = text.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return false }
        switch (octets[0], octets[1]) {
        case (10, _), (127, _), (192, 168), (169, 254): return true
        case (172, 16...31), (100, 64...127): return true
        default: return false
        }
    }

    /// Opens a TCP connection to `address` and closes it; gives up after `timeout`.
    static func connect(_ address: Address, timeout: Duration) -> Result<Void, ProbeFailure> {
        let descriptor = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else { return .failure(ProbeFailure("cannot open a socket: \(errnoText())")) }
        defer { close(descriptor) }
        var storage = sockaddr_storage()
        let length: socklen_t
        if address.family == AF_INET6 {
            var inet6 = sockaddr_in6()
            inet6.sin6_family = sa_family_t(AF_INET6)
            inet6.sin6_port = address.port.bigEndian
            inet_pton(AF_INET6, address.text, &inet6.sin6_addr)
            withUnsafeBytes(of: inet6) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        } else {
            var inet = sockaddr_in()
            inet.sin_family = sa_family_t(AF_INET)
            inet.sin_port = address.port.bigEndian
            inet_pton(AF_INET, address.text, &inet.sin_addr)
            withUnsafeBytes(of: inet) { bytes in
                withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: bytes) }
            }
            length = socklen_t(MemoryLayout<sockaddr_in>.size)
        }
        let started = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, length) }
        }
        if started == 0 { return .success(()) }
        guard errno == EINPROGRESS else {
            return .failure(ProbeFailure("connect to \(address.text):\(address.port) failed: \(errnoText())"))
        }
        var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        let milliseconds = Int32(
            timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&poller, 1, milliseconds)
        guard ready > 0 else {
            return .failure(
                ProbeFailure(
                    "no TCP answer from \(address.text):\(address.port) within \(timeout) (filtered or blackholed)"))
        }
        var error: Int32 = 0
        var size = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &size)
        guard error == 0 else {
            return .failure(
                ProbeFailure("connect to \(address.text):\(address.port) failed: \(String(cString: strerror(error)))"))
        }
        return .success(())
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Why a probe failed, in words for the table.
struct ProbeFailure: Error, Sendable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A one-shot result that a waiter can give up on after a timeout (the producer may finish later, unseen).
final class Outcome<Value: Sendable>: @unchecked Sendable {
    // Invariant: `value` and `continuation` are only touched while holding `lock`.
    private let lock = Mutex(())
    private var value: Value?
    private var continuation: CheckedContinuation<Value, Never>?
    private var done = false

    func finish(_ result: Value) {
        let waiting: CheckedContinuation<Value, Never>? = lock.withLock { _ in
            guard !done, value == nil else { return nil }
            if let continuation {
                done = true
                self.continuation = nil
                return continuation
            }
            value = result
            return nil
        }
        waiting?.resume(returning: result)
    }

    func wait(timeout: Duration, fallback: Value) async -> Value {
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.finish(fallback)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let ready: Value? = lock.withLock { _ in
                if let value {
                    done = true
                    return value
                }
                self.continuation = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
