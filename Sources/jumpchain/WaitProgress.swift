import Foundation
import JumpchainCore
import Synchronization

/// Progress lines on stderr while a command waits (only when stderr is a terminal): every few seconds, how
/// long it has waited and what the last round found, so a slow or unreachable cluster is never silent.
final class WaitProgress: @unchecked Sendable {
    // Invariant: `latest` and `task` are only touched under `lock`.
    private let lock = Mutex(())
    private var latest: String?
    private var task: Task<Void, Never>?

    /// Starts printing every `every` when stderr is a TTY; otherwise does nothing.
    func start(_ what: String, every: Duration = .seconds(5)) {
        guard isatty(STDERR_FILENO) == 1 else { return }
        let started = ContinuousClock.now
        let ticker = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: every)
                guard !Task.isCancelled else { return }
                let elapsed = (ContinuousClock.now - started).components.seconds
                let found = lock.withLock { _ in latest } ?? "the first round of reads is not answered yet"
                Terminal.error("\(what): still waiting after \(elapsed) s: \(found)")
            }
        }
        lock.withLock { _ in task = ticker }
    }

    /// What the last round found (its first failure).
    func round(_ report: VerificationReport) {
        let summary = report.passed ? "passing" : (report.failures.first ?? "failing")
        lock.withLock { _ in latest = summary }
    }

    func stop() { lock.withLock { _ in task }?.cancel() }
}
