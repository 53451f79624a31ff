import ArgumentParser
import JumpchainCore
import JumpchainJSON
import Workflow

struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Tear a chain down: links, jump mirrors, canary topics, jumpchain's ACLs and the link key.",
        discussion: """
            A resumable operation of the run (run it again, or `resume`, after an interruption). Order: the \
            target's mirrors (--target-topics keep fails them over, delete deletes them), leg 2, leg 1's source \
            half, the jump's mirror topics, leg 1's destination half, the canary topic, the ACLs jumpchain \
            created, then the link key. Ends by checking that the jump holds no key jumpchain minted and no topic \
            jumpchain created. Works on a half-built run, and with --playbook on a run whose state was lost.
            """)

    @Argument(help: "The run's name (or its directory).") var run: String
    @Option(help: "For a run whose state was lost: the playbook it was applied with (discovers what exists).")
    var playbook: String?
    @Option(
        name: .customLong("target-topics"),
        help: "keep: fail the target's mirrors over (they stay as writable topics); delete: delete them.")
    var targetTopics: TargetTopicsArgument?
    @Flag(name: .customLong("dry-run"), help: "Show what exists and every request destroy would send; send none.")
    var dryRun = false
    @OptionGroup var sites: SiteOptions
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        let request = Teardown.Request(
            run: run, playbookPath: playbook, targetTopics: targetTopics?.value, dryRun: dryRun)
        var options = common.rolloutOptions(printer: dryRun ? nil : printer, handleSignals: !dryRun)
        sites.apply(to: &options)
        do {
            let outcome = try await Teardown.destroy(request, options: options)
            switch outcome {
            case .surveyed(let survey):
                print(survey)
            case .done(let report, let survey):
                if let survey, common.format == .text {
                    Terminal.line("found:")
                    for line in survey.found { Terminal.line("  \(line)") }
                }
                Summary.print(report, format: common.format)
                if report.invariant?.holds == false { throw ExitCode(1) }
            }
        } catch let error as JumpchainError {
            throw ExitStatus.fail(error)
        }
    }

    func print(_ survey: Teardown.Survey) {
        if common.format == .json {
            Terminal.line(
                JSONText.object([
                    "run": .string(survey.runName), "dry_run": .bool(true),
                    "found": .array(survey.found.map { .string($0) }),
                    "steps": StepPreview.json(survey.plan, survey.requests),
                    "refusal": survey.refusal.map { .string($0) } ?? .null,
                ]))
            return
        }
        Terminal.line("destroy \(survey.runName) (dry run: nothing was sent that changes anything)")
        Terminal.line("found:")
        for line in survey.found { Terminal.line("  \(line)") }
        Terminal.line("would run \(survey.plan.steps.count) steps:")
        StepPreview.print(survey.plan, survey.requests)
        SiteHandOffs.print(survey.plan)
        if let refusal = survey.refusal { Terminal.line("destroy would refuse: \(refusal)") }
    }
}

struct TargetTopicsArgument: ExpressibleByArgument, Sendable {
    var value: TeardownScope.TargetTopics

    init?(argument: String) {
        guard let value = TeardownScope.TargetTopics(rawValue: argument) else { return nil }
        self.value = value
    }

    static var allValueStrings: [String] { TeardownScope.TargetTopics.allCases.map(\.rawValue) }
}
