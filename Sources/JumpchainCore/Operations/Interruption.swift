import Foundation
import JumpchainHTTP
import SignalPipe
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// SIGINT/SIGTERM for a whole command: the signal cancels the command's task, the command cleans up on its
/// way out (revokes what it minted, records the stop), and then ``run(enabled:hint:_:)`` reports the stop as
/// ``JumpchainError/Code/interrupted`` (exit 130 for both signals, as README documents), with `hint`: the
/// command that goes on (``Rollout/command(_:site:)``, with `--site` at a site of a multi-site run).
///
/// Clean-up after a stop must not itself be cancelled, nor cut short by an expired ``RequestDeadline``:
/// that is ``shielded(_:)``.
enum Interruption {
    /// Runs `body`; with `enabled`, SIGINT/SIGTERM cancel it instead of killing the process. A stop is thrown as
    /// `.interrupted` once `body` has returned (its own message is kept when it already said so).
    static func run<T: Sendable>(
        enabled: Bool, hint: String, _ body: @escaping @Sendable () async throws(JumpchainError) -> T
    ) async throws(JumpchainError) -> T {
        guard enabled else { return try await body() }
        let received = ReceivedSignal()
        let task = Task { () async -> Result<T, JumpchainError> in
            do throws(JumpchainError) {
                return .success(try await body())
            } catch {
                return .failure(error)
            }
        }
        // Further signals during clean-up land here too, and change nothing: the task is already cancelled.
        let pipe = SignalPipe(signals: SignalPipe.terminationSignals) { number in
            received.record(number)
            task.cancel()
        }
        let result = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        pipe.uninstall()
        if let number = received.first {
            if case .failure(let error) = result, error.code == .interrupted {
                // Its own message is kept; one that names no command to go on with gets the hint too.
                if error.message.contains("`jumpchain ") { throw error }
                throw JumpchainError(.interrupted, "\(error.message); \(hint)", cause: error)
            }
            throw JumpchainError(.interrupted, "stopped by \(name(of: number)); \(hint)")
        }
        return try result.get()
    }

    /// ``run(enabled:hint:_:)`` for a command of a run that a stop leaves to go on with (`destroy`, `cutover`,
    /// `failover`, `resume`): the hint names that command, `words` (``Rollout/command(_:site:)``: with `--site`
    /// at a site of a multi-site run).
    static func operation<T: Sendable>(
        _ words: String, options: Rollout.Options, _ body: @escaping @Sendable () async throws(JumpchainError) -> T
    ) async throws(JumpchainError) -> T {
        try await run(
            enabled: options.handleSignals, hint: "continue with \(Rollout.command(words, site: options.site))", body)
    }

    /// Runs `body` to completion even when the calling task is cancelled, with no request deadline: revoking
    /// a key after Ctrl-C or after `--timeout` ran out must still reach the server.
    static func shielded<T: Sendable>(_ body: @escaping @Sendable () async -> T) async -> T {
        await Task {
            await RequestDeadline.$current.withValue(nil) { await body() }
        }.value
    }

    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(signal)"
        }
    }
}

/// The first signal received, recorded from the signal thread.
private final class ReceivedSignal: @unchecked Sendable {
    // Invariant: `number` is only touched under `lock`.
    private let lock = Mutex(())
    private var number: Int32?

    func record(_ signal: Int32) { lock.withLock { _ in number = number ?? signal } }
    var first: Int32? { lock.withLock { _ in number } }
}
