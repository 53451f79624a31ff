import ArgumentParser
import JumpchainCore
import JumpchainHTTP

/// Options every run-touching command shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Where run directories live.")
    var stateDirectory: String = ".jumpchain"

    @Option(name: .long, help: "Output format: text or json (JSON lines).")
    var output: OutputFormatArgument = .text

    @Flag(name: .long, help: "Log every HTTP request to stderr: method, URL, status, duration, attempt (redacted).")
    var verbose = false

    var format: OutputFormat { output.format }

    func rolloutOptions(printer: ProgressPrinter?, handleSignals: Bool = true) -> Rollout.Options {
        var notice: @Sendable (String) -> Void = { text in Terminal.error("jumpchain: \(text)") }
        if let printer { notice = printer.notice }
        var options = Rollout.Options(
            stateDirectory: stateDirectory, observer: printer?.observer, notice: notice, handleSignals: handleSignals)
        options.onStart = printer?.onStart
        if verbose { options.requestLog = { (entry: RequestLogEntry) in Terminal.error("http: \(entry)") } }
        return options
    }
}

struct OutputFormatArgument: ExpressibleByArgument, Sendable {
    var format: OutputFormat
    static let text = OutputFormatArgument(format: .text)

    init(format: OutputFormat) { self.format = format }

    init?(argument: String) {
        guard let format = OutputFormat(rawValue: argument) else { return nil }
        self.format = format
    }

    static var allValueStrings: [String] { OutputFormat.allCases.map(\.rawValue) }

    /// What `--help` shows as the default (`text`, not the wrapper's debug description).
    var defaultValueDescription: String { format.rawValue }
}
