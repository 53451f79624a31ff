import ArgumentParser
import JumpchainCore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check offsets across both hops: every mirror ACTIVE and end-to-end lag within the threshold.")

    @Argument(help: "The run's name (or its directory).") var run: String
    @Option(help: "How long to wait for the chain to pass, in seconds (default: the playbook's verify.timeout).")
    var timeout: Int?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let result: (ChainSnapshot, passed: Bool, problem: String?)
        do {
            result = try await Rollout.verify(
                run: run, timeout: timeout.map { .seconds($0) },
                options: common.rolloutOptions(printer: nil, handleSignals: false))
        } catch {
            throw ExitStatus.fail(error)
        }
        let (snapshot, passed, problem) = result
        if common.format == .json {
            Terminal.line(
                JSONText.object([
                    "run": .string(run), "passed": .bool(passed), "problem": problem.map { .string($0) } ?? .null,
                    "max_end_to_end_lag": .number(snapshot.maxEndToEndLag),
                ]))
        } else {
            Summary.printLags(snapshot)
            Terminal.line(passed ? "verification passed" : "verification FAILED: \(problem ?? "")")
        }
        if !passed { throw ExitCode(ExitStatus.verificationFailed) }
    }
}
