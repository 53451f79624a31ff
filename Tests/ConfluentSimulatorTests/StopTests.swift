import ConfluentSimulator
import Foundation
import Synchronization
import Testing

/// Stopping the simulator while clients connect: every connection a listener accepted is handed to a handler and
/// closed. A cancelled Hummingbird server dropped the ones it had accepted but not handed on yet, and NIO trapped
/// on each ("Deinited NIOAsyncWriter without calling finish()"), killing the test process.
@Suite("Stopping the simulator")
struct StopTests {
    @Test("stopping right after a burst of connections: the process lives and every connection is closed")
    func stopRightAfterABurstOfConnections() async throws {
        for _ in 0..<5 {
            let sim = try await Simulator.start(.jumpDemo())
            let port = try #require(sim.ports["control-plane"])
            // A thread opens 100 connections (each sends half a request) as fast as it can; the simulator stops the
            // moment it is done, while the listener is still taking them in. Every connection is made before the
            // stop: after it, the port may be another test's listener's.
            let opened = await withCheckedContinuation { (done: CheckedContinuation<[Int32], Never>) in
                Thread {
                    var sockets: [Int32] = []
                    while sockets.count < 100, let socket = Self.connect(port: port) {
                        _ = "GET /sim/v1/state HTTP/1.1\r\n".withCString {
                            send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL))
                        }
                        sockets.append(socket)
                    }
                    done.resume(returning: sockets)
                }.start()
            }
            await sim.stop()
            #expect(opened.count == 100)
            // Every connection was closed by the simulator: a read ends (EOF or reset) instead of waiting (5 s guard,
            // all sockets at once). The reads block, so they run on a thread of their own, not the test's executor:
            // a failure must not hold the process's concurrency threads (every other test's simulator) for minutes.
            let stayedOpen = await withCheckedContinuation { (done: CheckedContinuation<[Int32], Never>) in
                Thread {
                    var open: [Int32] = []
                    for socket in opened {
                        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
                        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    }
                    let deadline = Date().addingTimeInterval(5)
                    var pending = opened
                    while !pending.isEmpty, Date() < deadline {
                        pending = pending.filter { socket in
                            var byte: UInt8 = 0
                            var read = recv(socket, &byte, 1, 0)
                            while read > 0 { read = recv(socket, &byte, 1, 0) }
                            return !(read == 0 || errno == ECONNRESET)
                        }
                    }
                    open = pending
                    for socket in opened { close(socket) }
                    done.resume(returning: open)
                }.start()
            }
            #expect(stayedOpen.isEmpty, "\(stayedOpen.count) of \(opened.count) connections stayed open 5 s after stop")
        }
    }

    @Test("stopping while clients keep connecting never traps (15 rounds, stops 5 to 61 ms in)")
    func stopWhileClientsKeepConnecting() async throws {
        for round in 0..<15 {
            let sim = try await Simulator.start(.jumpDemo())
            let port = try #require(sim.ports["control-plane"])
            // Four threads connect, send a request and hang up, as fast as they can, until a connect is refused
            // (the listener is gone: after that the port may be another test's) or the stop returned. Before the
            // fix, a connection set up while the server shut down was dropped unfinished and NIO trapped
            // ("Deinited NIOAsyncWriter without calling finish()"), killing the process.
            let stopped = Atomic<Bool>(false)
            let threads = (0..<4).map { _ in
                Thread {
                    while !stopped.load(ordering: .relaxed), let socket = Self.connect(port: port) {
                        _ = "GET /sim/v1/state HTTP/1.1\r\nHost: x\r\n\r\n".withCString {
                            send(socket, $0, strlen($0), Int32(MSG_NOSIGNAL))
                        }
                        close(socket)
                    }
                }
            }
            for thread in threads { thread.start() }
            try await Task.sleep(for: .milliseconds(5 + 4 * round))
            await sim.stop()
            stopped.store(true, ordering: .relaxed)
        }
    }

    /// A blocking TCP connection to 127.0.0.1:`port`, or nil when refused.
    static func connect(port: Int) -> Int32? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            return nil
        }
        return socket
    }
}
