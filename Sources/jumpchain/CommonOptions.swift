import ArgumentParser
import Foundation
import JumpchainCore
import JumpchainHTTP
import JumpchainJSON
import Workflow
import WorkflowPostgres

/// Options every run-touching command shares.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: "Where run directories live.")
    var stateDirectory: String = ".jumpchain"

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp(
            "Where runs are kept: a directory (like --state-dir) or a postgres:// URL (default: $JUMPCHAIN_STATE).",
            discussion:
                "A PostgreSQL password never goes on the command line (the process list shows it): use PGPASSWORD, "
                + "~/.pgpass, or the whole URL in JUMPCHAIN_STATE."))
    var state: String?

    @Option(name: .long, help: "Output format: text or json (JSON lines).")
    var output: OutputFormatArgument = .text

    @Flag(
        name: .customLong("allow-insecure-http"),
        help: "Accept http:// endpoints on non-loopback hosts (credentials would travel in cleartext).")
    var allowInsecureHTTP = false

    @Flag(
        name: .long,
        help:
            "Log every HTTP request to stderr (method, URL, status, duration, attempt; redacted) and what the pacer learns of each cluster's rate limit."
    )
    var verbose = false

    var format: OutputFormat { output.format }

    func validate() throws {
        _ = try StateSelection.resolve(argument: state, environment: ProcessInfo.processInfo.environment)
    }

    /// The backend `--state` / `JUMPCHAIN_STATE` select; nil means SQLite run directories under `--state-dir`.
    var stateBackend: (any RunStateBackend)? {
        try? StateSelection.resolve(argument: state, environment: ProcessInfo.processInfo.environment)
    }

    /// Options for a command that only reads or writes the state (`state`, `graph`): no progress, no signal handling.
    var offlineOptions: Rollout.Options { rolloutOptions(printer: nil, handleSignals: false) }

    func rolloutOptions(printer: ProgressPrinter?, handleSignals: Bool = true) -> Rollout.Options {
        var notice: @Sendable (String) -> Void = { text in Terminal.error("jumpchain: \(text)") }
        if let printer { notice = printer.notice }
        var options = Rollout.Options(
            stateDirectory: stateDirectory, observer: printer?.observer, notice: notice, handleSignals: handleSignals)
        options.stateBackend = stateBackend
        options.onStart = printer?.onStart
        options.allowInsecureHTTP = allowInsecureHTTP
        if verbose {
            options.requestLog = { (entry: RequestLogEntry) in Terminal.error("http: \(entry)") }
            options.pacingLog = { line in Terminal.error("pacer: \(line)") }
        }
        return options
    }
}

/// Turns `--state` or `JUMPCHAIN_STATE` into a backend: a `postgres://` URL selects PostgreSQL, anything else
/// is a state directory. A password in the command-line URL is refused (without echoing it).
enum StateSelection {
    static func resolve(argument: String?, environment: [String: String]) throws -> (any RunStateBackend)? {
        let fromArgument = argument != nil
        guard let value = argument ?? environment["JUMPCHAIN_STATE"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return nil
        }
        let source = fromArgument ? "--state" : "JUMPCHAIN_STATE"
        guard ConnectionString.isPostgresURL(value) else {
            return SQLiteRunBackend(stateDirectory: value)
        }
        if fromArgument && ConnectionString.carriesPassword(value) {
            throw ValidationError(
                "--state \(ConnectionString.redact(value)): the URL carries a password, which any user on this host "
                    + "can read in the process list; remove it and put it in PGPASSWORD or ~/.pgpass, or pass the "
                    + "whole URL in JUMPCHAIN_STATE instead")
        }
        do {
            return try PostgresRunBackend(url: value)
        } catch {
            throw ValidationError("\(source): \(error.message)")
        }
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
