import Foundation
import Synchronization

/// The lock around ``WorldState`` plus the request pipeline shared by every listener.
final class World: Sendable {
    static let controlPlane = "control-plane"

    let state: Mutex<WorldState>
    let clock: @Sendable () -> Double
    /// Every answered exchange, when recording is on (contract tests validate them against the specs).
    let exchanges = Mutex<(recording: Bool, log: [SimulatorExchange])>((false, []))

    init(config: SimulatorConfig, clock: @escaping @Sendable () -> Double) throws(SimulatorError) {
        self.clock = clock
        self.state = Mutex(try WorldState(config: config, now: clock()))
    }

    func tick() {
        let now = clock()
        state.withLock { $0.tick(now: now) }
    }

    /// What a listener should do with a request: answer, drop the connection, or hold it.
    enum Outcome {
        case respond(SimResponse)
        case drop
    }

    /// The full pipeline: counters, blackhole, dice (limits count the request as it arrives), latency, then the
    /// world's handler. `connection` names the TCP connection the request came on (its peer `address:port`), for
    /// the traffic counters.
    func handle(_ request: SimRequest, listener: String, connection: String? = nil) async -> Outcome {
        if listener == Self.controlPlane, request.path.hasPrefix("/sim/v1/") {
            let now = clock()
            return .respond(state.withLock { $0.handleIntrospection(request, now: now) })
        }
        state.withLock { $0.countRequest(listener: listener, connection: connection) }
        let outcome = await answer(request, listener: listener)
        if case .respond(let response) = outcome {
            state.withLock { $0.countAnswer(listener: listener, status: response.status) }
        }
        return outcome
    }

    private func answer(_ request: SimRequest, listener: String) async -> Outcome {
        if state.withLock({ $0.isBlackholed(listener) }) {
            state.withLock { $0.heldRequests[listener, default: 0] += 1 }
            defer { state.withLock { $0.heldRequests[listener, default: 1] -= 1 } }
            while state.withLock({ $0.isBlackholed(listener) }) {
                if state.withLock({ $0.stopped }) { return .drop }
                do { try await Task.sleep(nanoseconds: 50_000_000) } catch { return .drop }
            }
        }
        // Limits and faults are decided as the request arrives (a front door counts requests when they come, not
        // when a busy server gets round to them), then the latency passes before the answer.
        let arrived = clock()
        let decision = state.withLock {
            $0.decideFault(listener: listener, method: request.method, path: request.path, now: arrived)
        }
        let latency = state.withLock { $0.latency(listener: listener) }
        if latency > 0 { try? await Task.sleep(nanoseconds: UInt64(latency) * 1_000_000) }
        let now = clock()
        let isControl = listener == Self.controlPlane
        switch decision {
        case .drop: return .drop
        case .rateLimited(let limit, let reset):
            guard isControl else { return .respond(.htmlTooManyRequests()) }
            return .respond(
                .cloud(
                    429, "too_many_requests", "Too Many Requests", "Rate limit exceeded; retry after \(reset) seconds.",
                    headers: [
                        ("Retry-After", String(reset)), ("X-RateLimit-Limit", String(limit)),
                        ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", String(reset)),
                    ]))
        case .serverError:
            return .respond(
                isControl
                    ? .cloud(500, "internal_server_error", "Internal Server Error", "Simulated server error.")
                    : .kafka(500, 50003, "Unexpected internal server error (simulated, retriable)."))
        case .proceed:
            return .respond(
                state.withLock { world in
                    isControl
                        ? world.handleControlPlane(request, now: now)
                        : world.handleCluster(request, listenerCluster: listener, now: now)
                })
        }
    }
}
