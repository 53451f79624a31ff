import ArgumentParser
import JumpchainCore

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Plan and run a playbook; resumable at any point with `resume`.")

    @Argument(help: "The playbook (YAML).") var playbook: String
    @Flag(
        help: "On a live chain: fail over the target mirrors and delete the jump mirrors of topics no longer selected.")
    var prune = false
    @Flag(
        help: ArgumentHelp(
            "Recover a run whose state was lost or is unusable: adopt the links and mirrors that match the "
                + "playbook (an unusable state.sqlite is set aside), mint a new link key and revoke the old one."))
    var adopt = false
    @OptionGroup var sites: SiteOptions
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        var options = common.rolloutOptions(printer: printer)
        options.adopt = adopt
        sites.apply(to: &options)
        do {
            let report = try await Rollout.apply(playbookPath: playbook, prune: prune, options: options)
            Summary.print(report, format: common.format)
            if report.invariant?.holds == false { throw ExitCode(1) }
        } catch let error as JumpchainError {
            throw ExitStatus.fail(error)
        }
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Finish an interrupted or failed run from its recorded plan.")

    @Argument(help: "The run's name (or its directory).") var run: String
    @OptionGroup var sites: SiteOptions
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        var options = common.rolloutOptions(printer: printer)
        sites.apply(to: &options)
        do {
            let report = try await Rollout.resume(run: run, options: options)
            Summary.print(report, format: common.format)
            if report.invariant?.holds == false { throw ExitCode(1) }
        } catch let error as JumpchainError {
            throw ExitStatus.fail(error)
        }
    }
}

/// `--site NAME` and `--wait`/`--no-wait` of `apply` and `resume` (multi-site runs; README "Sites").
struct SiteOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Run only the steps of this site of the playbook's `sites` (the others are another site's turn).",
            valueName: "name"))
    var site: String?
    @Flag(
        inversion: .prefixedNo,
        help: "When every step left is another site's: wait for it (polling the state) instead of exiting 10.")
    var wait = false
    @Option(help: ArgumentHelp("With --wait: give up after this many seconds (exit 10).", valueName: "seconds"))
    var waitTimeout: Double = 3600

    func apply(to options: inout Rollout.Options) {
        options.site = site
        options.waitForOtherSites = wait
        options.siteWaitTimeout = waitTimeout
    }
}
