import Foundation
import JumpchainCore
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
    private let lock = NSLock()
    private let format: OutputFormat
    private var live: LiveView?

    init(format: OutputFormat) {
        self.format = format
    }

    /// Switches to the in-place live view (steps done/total, what each step waits for) on a terminal.
    var onStart: @Sendable (Int, Int) -> Void {
        { [self] total, done in
            guard format == .text, Terminal.isTTY else { return }
            lock.withLock { live = LiveView(totalSteps: total, alreadyDone: done) }
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
                lock.withLock { Terminal.error("  notice: \(text)") }
            }
        }
    }

    private func handle(_ event: WorkflowEvent) {
        lock.withLock {
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

/// Minimal JSON text building for command output (sorted keys, stable).
enum JSONText {
    indirect enum Value {
        case string(String)
        case number(Int64)
        case bool(Bool)
        case array([Value])
        case object([String: Value])
        case null
        /// An already encoded JSON document (compact), embedded as it is.
        case raw(String)
    }

    static func object(_ fields: [String: Value]) -> String { render(.object(fields)) }

    static func render(_ value: Value) -> String {
        switch value {
        case .string(let text): return quote(text)
        case .number(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .raw(let json): return json
        case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .object(let fields):
            return "{"
                + fields.sorted { $0.key < $1.key }.map { quote($0.key) + ":" + render($0.value) }
                .joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
