import ArgumentParser
import Foundation
import JumpchainCore
import JumpchainJSON
import Workflow

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Step states, live link state and per-hop mirror lag of a run.")

    @Argument(help: "The run's name (or its directory).") var run: String
    @Flag(name: .customLong("offline"), help: "Only the recorded step states; contact no cluster.")
    var offline = false
    @Flag(
        name: .customLong("inspect-jump"),
        help: "Also read the jump's own view, through a session key minted for this command and revoked.")
    var inspectJump = false
    @Option(
        help: """
            Read only what this site of the playbook's `sites` reaches (its secrets alone are needed), and say \
            what could not be read from here.
            """)
    var site: String?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        do {
            var options = common.rolloutOptions(printer: nil)
            options.site = site
            let status = try await Rollout.status(
                run: run, live: !offline, inspectJump: inspectJump, options: options)
            Summary.print(status, format: common.format)
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph", abstract: "Render a run's plan as Graphviz dot or Mermaid, coloured by step state.")

    @Argument(help: "The run's name (or its directory).") var run: String
    @Option(help: "dot or mermaid.") var format: String = "dot"
    @Option(help: "Which operation of the run: 0 is the rollout, 1 the next (default: the latest).")
    var operation: Int?
    @OptionGroup var common: CommonOptions

    func run() async throws {
        guard let graphFormat = GraphExport.Format(rawValue: format) else {
            throw ValidationError("--format must be dot or mermaid")
        }
        let status: Rollout.Status
        do {
            status = try await Rollout.status(
                run: run, live: false, options: common.offlineOptions)
        } catch {
            throw ExitStatus.fail(error)
        }
        // The latest operation (the rollout, or an update or teardown after it), or the one asked for.
        let index = operation ?? status.operations.count
        guard (0...status.operations.count).contains(index) else {
            throw ValidationError("run \(run) has operations 0 to \(status.operations.count)")
        }
        let plan = index == 0 ? status.plan : status.operations[index - 1].plan
        let states = index == 0 ? status.states : status.operations[index - 1].states
        let graph = GraphExport.render(plan: plan, states: states.mapValues(\.state), format: graphFormat)
        if common.format == .json {
            Terminal.line(
                JSONText.object([
                    "run": .string(status.runName), "operation": .int(Int64(index)), "format": .string(format),
                    "graph": .string(graph),
                ]))
        } else {
            Terminal.line(graph)
        }
    }
}

struct UnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "force-unlock",
        abstract: "Release a run's lock left by a runner that died on another host (check it is really gone).")

    @Argument(help: "The run's name (or its directory).") var run: String
    @OptionGroup var common: CommonOptions

    func run() async throws {
        let backend = common.rolloutOptions(printer: nil).backend
        let directory = backend.location(ofRun: run)
        let exists: Bool
        do {
            exists = try backend.runExists(run)
        } catch {
            throw ExitStatus.fail(error)
        }
        guard exists || FileManager.default.fileExists(atPath: RunDirectory.lockPath(directory)) else {
            throw ExitStatus.fail(
                JumpchainError(.runNotFound, "no run \(run) in \(directory): there is no lock to release"))
        }
        let holder: LockHolder?
        do {
            holder = try backend.forceUnlockRun(run)
        } catch {
            throw ExitStatus.fail(error)
        }
        if common.format == .json {
            Terminal.line(
                JSONText.object([
                    "run_directory": .string(directory), "released": .bool(true),
                    "holder": holder.map { .string($0.description) } ?? .null,
                ]))
        } else {
            Terminal.line(
                "released the lock of \(directory)\(holder.map { " (held by \($0))" } ?? " (no holder was recorded)")")
        }
    }
}
