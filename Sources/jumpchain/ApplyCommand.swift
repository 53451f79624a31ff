import ArgumentParser
import JumpchainCore

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Plan and run a playbook; resumable at any point with `resume`.")

    @Argument(help: "The playbook (YAML).") var playbook: String
    @Flag(
        help: "On a live chain: fail over the target mirrors and delete the jump mirrors of topics no longer selected.")
    var prune = false
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let printer = ProgressPrinter(format: common.format)
        do {
            let report = try await Rollout.apply(
                playbookPath: playbook, prune: prune, options: common.rolloutOptions(printer: printer))
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
