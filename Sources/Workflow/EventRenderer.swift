import Foundation

/// Renders events as text for the CLI: plain lines (logs, non-TTY) or JSON lines (`--output json`).
public enum EventRenderer {
    /// One human-readable line, e.g. `12:00:01 step create-link #2 retrying in 1.3s: HTTP 503`.
    public static func plainLine(_ event: WorkflowEvent) -> String {
        var line = clock(event.time) + " "
        let step = event.stepID.map { "step \($0)" } ?? ""
        let attempt = event.attempt.map { " #\($0)" } ?? ""
        switch event.kind {
        case .runStarted: line += "run started"
        case .runFinished: line += "run finished: \(event.status?.rawValue ?? "unknown")"
        case .runStopped: line += "run stopped (resumable)"
        case .stepStarted: line += "\(step)\(attempt) started"
        case .stepSucceeded: line += "\(step)\(attempt) succeeded"
        case .stepFailed: line += "\(step)\(attempt) failed"
        case .stepRetrying:
            let wait = event.retryDelaySeconds.map { String(format: " in %.1fs", $0) } ?? ""
            line += "\(step)\(attempt) retrying\(wait)"
        case .stepSkipped: line += "\(step) skipped"
        case .stepInterrupted: line += "\(step) interrupted, will re-run"
        case .stepWaiting: line += "\(step) waiting"
        case .stepProgress: line += "\(step)"
        case .ephemeralRecovered: line += "\(step) recovered in-memory material"
        }
        if let message = event.message, !message.isEmpty {
            line += ": " + message
        }
        return line
    }

    /// One compact JSON object (sorted keys, ISO 8601 time) without a trailing newline.
    public static func jsonLine(_ event: WorkflowEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(event) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    private static func clock(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970) % 86_400
        return String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}
