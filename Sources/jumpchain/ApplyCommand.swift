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
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        var options = common.rolloutOptions(printer: printer)
        options.adopt = adopt
        do {
            let report = try await Rollout.apply(playbookPath: playbook, prune: prune, options: options)
            Summary.print(report, format: common.format)
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume", abstract: "Finish an interrupted or failed run from its recorded plan.")

    @Argument(help: "The run's name (or its directory).") var run: String
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        do {
            let report = try await Rollout.resume(run: run, options: common.rolloutOptions(printer: printer))
            Summary.print(report, format: common.format)
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
