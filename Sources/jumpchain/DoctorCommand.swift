import ArgumentParser
import Foundation
import JumpchainCore

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "From this host: DNS, TCP, TLS and authentication for every endpoint of a playbook, and which "
            + "steps this host can run.",
        discussion: "Exits 0 when this host can run every step, 1 otherwise. Changes nothing anywhere.")

    @Argument(help: "The playbook.") var playbook: String
    @Option(help: "Seconds each probe may take (a blackholed endpoint is reported after this).")
    var timeout: Double = 3
    @Option(
        help: ArgumentHelp(
            "A multi-site playbook: the site this host is; exit 0 when it can run every step of that site.",
            valueName: "name"))
    var site: String?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        guard timeout > 0 && timeout <= 60 else { throw ValidationError("--timeout must be between 0 and 60 seconds") }
        let report: DoctorReport
        var options = common.rolloutOptions(printer: nil, handleSignals: false)
        options.site = site
        do {
            report = try await Rollout.doctor(
                playbookPath: playbook, timeout: .milliseconds(Int(timeout * 1000)), options: options)
        } catch {
            throw ExitStatus.fail(error)
        }
        if common.format == .json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Terminal.line(String(decoding: (try? encoder.encode(report)) ?? Data("{}".utf8), as: UTF8.self))
        } else {
            Self.printTable(report)
        }
        if !report.allRunnable { throw ExitCode(ExitStatus.doctorFindings) }
    }

    static func printTable(_ report: DoctorReport) {
        func cell(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
        Terminal.line(
            cell("endpoint", 18) + cell("address", 40) + cell("dns", 6) + cell("tcp", 6) + cell("tls", 6) + "auth")
        for endpoint in report.endpoints {
            let marks = ["dns", "tcp", "tls", "auth"].map { name -> String in
                switch endpoint.checks.first(where: { $0.name == name })?.status {
                case .ok: "ok"
                case .failed: "FAIL"
                default: "-"
                }
            }
            Terminal.line(
                cell(endpoint.name, 18) + cell(endpoint.address, 40) + cell(marks[0], 6) + cell(marks[1], 6)
                    + cell(marks[2], 6) + marks[3])
            for check in endpoint.checks where check.status == .failed || check.name == "dns" {
                Terminal.line("    \(check.name): \(check.detail)")
            }
        }
        Terminal.line("")
        let runnable = report.steps.filter(\.runnable).map(\.step)
        Terminal.line("this host can run: \(runnable.isEmpty ? "no step" : runnable.joined(separator: ", "))")
        for step in report.steps where !step.runnable {
            Terminal.line("  cannot run \(step.step): \(step.reason)")
        }
        for line in report.advice {
            Terminal.line("note: \(line)")
        }
        for site in report.sites {
            Terminal.line((site.site == report.selectedSite ? "this host is " : "") + site.line)
        }
    }
}
