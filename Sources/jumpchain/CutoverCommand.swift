import ArgumentParser
import Foundation
import JumpchainCore
import JumpchainJSON
import Workflow

struct CutoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cutover",
        abstract: "End a migration with zero data loss: drain every hop, then promote the target's mirrors.",
        discussion: """
            A resumable operation of the run (run it again, or `resume`, after an interruption). Steps: preflight \
            (the chain healthy, every mirror ACTIVE on both hops); quiesce check (the origin's end offsets do not \
            move for --quiet-period: stop the producers first); drain (every partition's end offset equal on \
            origin, jump and target, every synced group's target offset equal to its origin offset, within \
            --timeout); promote the target's mirrors and wait for STOPPED; report per partition the offsets at \
            cutover and the records lost, and per group where consumers resume on the target. The jump's mirrors \
            and the links stay until `destroy`. A second cutover of a finished cutover is a no-op.
            """)

    @Argument(help: "The run's name (or its directory).") var run: String
    @Option(name: .customLong("quiet-period"), help: "Seconds the origin's end offsets must stay still.")
    var quietPeriod: Int = 30
    @Flag(name: .customLong("no-quiet-check"), help: "Skip the quiesce check (the report says so).")
    var noQuietCheck = false
    @Option(help: "Seconds to wait for the hops to agree and for the promotion to finish.") var timeout: Int = 300
    @Flag(name: .customLong("dry-run"), help: "Show the plan and every request cutover would send; send none.")
    var dryRun = false
    @OptionGroup var sites: SiteOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard quietPeriod >= 0, timeout > 0 else {
            throw ValidationError("--quiet-period must be ≥ 0 and --timeout > 0 (seconds)")
        }
    }

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        let request = Cutover.Request(
            run: run, quietPeriod: noQuietCheck ? nil : quietPeriod, timeout: timeout, dryRun: dryRun)
        let outcome: Cutover.Outcome
        do {
            var options = common.rolloutOptions(printer: dryRun ? nil : printer, handleSignals: !dryRun)
            sites.apply(to: &options)
            outcome = try await Cutover.cutover(request, options: options)
        } catch {
            throw ExitStatus.fail(error)
        }
        switch outcome {
        case .previewed(let preview):
            if common.format == .json {
                Terminal.line(
                    JSONText.object([
                        "run": .string(preview.runName), "dry_run": .bool(true),
                        "found": .array(preview.found.map { .string($0) }),
                        "steps": StepPreview.json(preview.plan, preview.requests),
                    ]))
                return
            }
            Terminal.line("cutover \(preview.runName) (dry run: nothing was sent that changes anything)")
            for line in preview.found { Terminal.line("  \(line)") }
            Terminal.line("would run \(preview.plan.steps.count) steps:")
            StepPreview.print(preview.plan, preview.requests)
            SiteHandOffs.print(preview.plan)
        case .done(let report):
            Summary.print(report, format: common.format)
        }
    }
}
