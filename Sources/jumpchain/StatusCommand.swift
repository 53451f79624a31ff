import ArgumentParser
import JumpchainCore
import Workflow

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Step states, live link state and per-hop mirror lag of a run.")

    @Argument(help: "The run's name (or its directory).") var run: String
    @Flag(name: .customLong("offline"), help: "Only the recorded step states; contact no cluster.")
    var offline = false
    @OptionGroup var common: CommonOptions

    func run() async throws {
        do {
            let status = try await Rollout.status(
                run: run, live: !offline, options: common.rolloutOptions(printer: nil, handleSignals: false))
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
    @OptionGroup var common: CommonOptions

    func run() async throws {
        guard let graphFormat = GraphExport.Format(rawValue: format) else {
            throw ValidationError("--format must be dot or mermaid")
        }
        do {
            let status = try await Rollout.status(
                run: run, live: false, options: common.rolloutOptions(printer: nil, handleSignals: false))
            Terminal.line(
                GraphExport.render(plan: status.plan, states: status.states.mapValues(\.state), format: graphFormat))
        } catch {
            throw ExitStatus.fail(error)
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
        do {
            let holder = try backend.forceUnlockRun(run)
            Terminal.line(
                "released the lock of \(backend.location(ofRun: run))\(holder.map { " (held by \($0))" } ?? "")")
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
