import ArgumentParser
import Foundation
import JumpchainCore
import Workflow

struct FailoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "Disaster recovery: fail every target mirror over now, and report the data at risk.",
        discussion: """
            Sends `:failover` for every target mirror at once, without waiting for lag, whatever the origin and \
            the jump answer; each cluster gets --cluster-timeout seconds and one that does not answer is \
            reported, never waited on. The data-at-risk report lists per partition the last origin end offset \
            jumpchain could observe (now, or as `verify`/`status` last recorded it, with its time), the target's \
            end offset at failover and the difference, and per consumer group the offsets it resumes from on the \
            target. It is saved in the run (`status` shows it). A resumable operation; --dry-run changes nothing.
            """)

    @Argument(help: "The run's name (or its directory).") var run: String
    @Option(name: .customLong("cluster-timeout"), help: "Seconds each cluster is given to answer.")
    var clusterTimeout: Int = 5
    @Flag(name: .customLong("dry-run"), help: "Print the report failover would make now; change nothing.")
    var dryRun = false
    @OptionGroup var sites: SiteOptions
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        let request = Failover.Request(run: run, clusterTimeout: .seconds(max(1, clusterTimeout)), dryRun: dryRun)
        let outcome: Failover.Outcome
        do {
            var options = common.rolloutOptions(printer: dryRun ? nil : printer, handleSignals: !dryRun)
            sites.apply(to: &options)
            outcome = try await Failover.failover(request, options: options)
        } catch {
            throw ExitStatus.fail(error)
        }
        switch outcome {
        case .previewed(let report, let plan, let requests):
            if common.format == .json {
                Terminal.line(Summary.json(report))
                return
            }
            for line in report.lines() { Terminal.line(line) }
            Terminal.line("would run \(plan.steps.count) steps:")
            StepPreview.print(plan, requests)
            SiteHandOffs.print(plan)
        case .done(let report):
            Summary.print(report, format: common.format)
        }
    }
}
