import Foundation
import Synchronization

/// A compact live view for a TTY: notable events (failures, retries, interruptions) scroll as plain
/// lines, and a small status block (counts and the steps in flight with their latest message) is redrawn
/// in place below them with ANSI escapes. Feed it every event; write what ``render(_:)`` returns.
public final class LiveView: @unchecked Sendable {
    // Invariant: every mutable property is only touched while holding `lock`.
    private let lock = Mutex(())
    private let totalSteps: Int
    private let maxRunningShown: Int
    private var done = 0
    private var failed = 0
    private var running: [String: String] = [:]
    private var runningOrder: [String] = []
    private var linesDrawn = 0

    /// Creates a view for a run of `totalSteps` steps, of which `alreadyDone` are done.
    public init(totalSteps: Int, alreadyDone: Int = 0, maxRunningShown: Int = 8) {
        self.totalSteps = totalSteps
        self.done = alreadyDone
        self.maxRunningShown = maxRunningShown
    }

    /// Updates the view with `event` and returns the terminal output that redraws it.
    public func render(_ event: WorkflowEvent) -> String {
        lock.withLock { _ in
            var scrolled: [String] = []
            let id = event.stepID ?? ""
            switch event.kind {
            case .stepStarted:
                if running[id] == nil { runningOrder.append(id) }
                running[id] = "running"
            case .stepWaiting:
                running[id] = "waiting: " + (event.message ?? "")
            case .stepProgress:
                running[id] = event.message ?? ""
            case .stepSucceeded, .stepSkipped:
                finish(id)
                done += 1
            case .stepFailed:
                finish(id)
                failed += 1
                scrolled.append(EventRenderer.plainLine(event))
            case .stepRetrying, .stepInterrupted:
                finish(id)
                scrolled.append(EventRenderer.plainLine(event))
            case .runStarted, .runFinished, .runStopped, .ephemeralRecovered:
                scrolled.append(EventRenderer.plainLine(event))
            }
            var output = linesDrawn > 0 ? "\u{1B}[\(linesDrawn)A\u{1B}[J" : ""
            for line in scrolled { output += line + "\n" }
            let block = statusBlock(final: event.kind == .runFinished || event.kind == .runStopped)
            for line in block { output += line + "\n" }
            linesDrawn = block.count
            return output
        }
    }

    private func finish(_ id: String) {
        if running.removeValue(forKey: id) != nil {
            runningOrder.removeAll { $0 == id }
        }
    }

    private func statusBlock(final: Bool) -> [String] {
        guard !final else { return [] }
        var lines = ["\(done)/\(totalSteps) done · \(running.count) running · \(failed) failed"]
        for id in runningOrder.prefix(maxRunningShown) {
            lines.append("  ▸ \(id)  \(running[id] ?? "")")
        }
        if runningOrder.count > maxRunningShown {
            lines.append("  … and \(runningOrder.count - maxRunningShown) more")
        }
        return lines
    }
}
