import Foundation
import JumpchainCore
import JumpchainJSON
import Synchronization
import Workflow

/// Output helpers: plain lines, JSON lines, or a live view when stdout is a terminal.
enum Terminal {
    static var isTTY: Bool { isatty(STDOUT_FILENO) == 1 }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// `--output text|json`.
enum OutputFormat: String, CaseIterable, Sendable {
    case text, json
}

/// Renders engine events as the run goes.
final class ProgressPrinter: @unchecked Sendable {
    // Invariant: `live` is only touched under `lock`.
    private let lock = Mutex(())
    private let format: OutputFormat
    private var live: LiveView?

    init(format: OutputFormat) {
        self.format = format
    }

    /// Switches to the in-place live view (steps done/total, what each step waits for) on a terminal.
    var onStart: @Sendable (Int, Int) -> Void {
        { [self] total, done in
            guard format == .text, Terminal.isTTY else { return }
            lock.withLock { _ in live = LiveView(totalSteps: total, alreadyDone: done) }
        }
    }

    var observer: @Sendable (WorkflowEvent) -> Void {
        { [self] event in self.handle(event) }
    }

    /// Notices (a request's retries summarised, a revoked key) go to stderr: stdout carries only the run's
    /// progress and result.
    var notice: @Sendable (String) -> Void {
        { [self] text in
            if format == .json {
                Terminal.error(JSONText.object(["notice": .string(text)]))
            } else {
                lock.withLock { _ in Terminal.error("  notice: \(text)") }
            }
        }
    }

    private func handle(_ event: WorkflowEvent) {
        lock.withLock { _ in
            switch format {
            case .json: Terminal.line(EventRenderer.jsonLine(event))
            case .text:
                if let live {
                    let text = live.render(event)
                    FileHandle.standardOutput.write(Data(text.utf8))
                } else {
                    Terminal.line(EventRenderer.plainLine(event))
                }
            }
        }
    }
}

/// Command output as JSON text: sorted keys, compact, one document per line.
enum JSONText {
    static func object(_ fields: [String: JSON]) -> String { JSON.object(fields).text }

    static func render(_ value: JSON) -> String { value.text }

    static func quote(_ text: String) -> String { JSON.string(text).text }
}

extension JSON {
    /// An already encoded JSON document (e.g. a verification report), embedded as a value.
    static func embedded(_ text: String) -> JSON { (try? JSON.parse(text)) ?? .null }
}
