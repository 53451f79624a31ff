import ArgumentParser
import ConfluentSimulator
import Foundation
import JumpchainCore
import Workflow

/// `make demo`: the jump-chain rollout end to end on the embedded simulator's `jump-demo` world.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the jump-chain rollout end to end on the embedded simulator.")

    @Option(help: "The demo playbook.") var playbook: String = "playbooks/demo.yaml"
    @Option(name: .customLong("state-dir"), help: "Where the demo's run directory goes (wiped first).")
    var stateDirectory: String = ".jumpchain/demo"
    @Option(help: "Output format: text or json.") var output: OutputFormatArgument = .text

    func run() async throws {
        // The jump-demo world plus one origin topic the first rollout leaves out, added to the live chain later.
        var world = SimulatorConfig.jumpDemo()
        world.topics.append(
            SimulatorConfig.Topic(
                cluster: SimulatorConfig.JumpDemo.origin, name: Self.addedTopic, partitions: 2, records: 25))
        let simulator = try await Simulator.start(world, revealOperatorSecrets: true)
        let info = simulator.connectionInfo
        Terminal.line("simulator: control plane \(info.controlPlaneURL)")
        for cluster in info.clusters {
            let placement = cluster.network.map { "private network \($0)" } ?? "public"
            Terminal.line(
                "  \(cluster.name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(cluster.id) "
                    + "(\(placement)) \(cluster.restURL)")
        }
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in info.playbookEnvironment(linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount) {
            environment[name] = value
        }
        if environment["JUMPCHAIN_POLL_MS"] == nil { environment["JUMPCHAIN_POLL_MS"] = "250" }
        try? FileManager.default.removeItem(atPath: stateDirectory)
        let printer = ProgressPrinter(format: output.format)
        var options = Rollout.Options(
            stateDirectory: stateDirectory, environment: environment, observer: printer.observer,
            notice: printer.notice, handleSignals: true)
        options.onStart = printer.onStart
        do {
            let report = try await Rollout.apply(playbookPath: playbook, options: options)
            Summary.print(report, format: output.format)
            let verification = try await Rollout.verify(
                run: report.runName, timeout: .seconds(60), canary: true, options: options)
            if output.format == .json {
                Terminal.line(VerificationJSON.encode(verification.report))
            } else {
                Terminal.line("")
                Terminal.line(VerificationTableRenderer(color: Terminal.isTTY).render(verification.report))
                for result in verification.canary { Terminal.line(result.heartbeatLine) }
            }
            try checkInvariant(simulator, jump: SimulatorConfig.JumpDemo.jump, report: report)
            if output.format == .text {
                try await keyFreeStatus(
                    simulator, jump: SimulatorConfig.JumpDemo.jump, run: report.runName, options: options)
            }
            try await addTopic(report: report, options: options)
            // The rest of the chain's life: tear it down, keeping the target's topics as writable topics.
            Terminal.line("")
            Terminal.line("$ jumpchain destroy \(report.runName) --target-topics keep")
            let outcome = try await Teardown.destroy(
                Teardown.Request(run: report.runName, targetTopics: .keep), options: options)
            if case .done(let teardown, let survey) = outcome {
                if let survey, output.format == .text {
                    Terminal.line("found:")
                    for line in survey.found { Terminal.line("  \(line)") }
                }
                Summary.print(teardown, format: output.format)
                if teardown.invariant?.holds != true { throw ExitCode(1) }
            }
        } catch let error as JumpchainError {
            await simulator.stop()
            throw ExitStatus.fail(error)
        }
        await simulator.stop()
    }

    static let addedTopic = "refunds"

    /// The chain's life goes on: the playbook gains a topic, `apply` runs the difference as an update of the
    /// same run (no new link, no new key), and the new topic is verified through both hops.
    func addTopic(report: Rollout.Report, options: Rollout.Options) async throws {
        let text = try String(contentsOfFile: playbook, encoding: .utf8)
        let names = "names: [orders, payments, inventory]"
        guard text.contains(names) else { return }  // a custom demo playbook: skip this part
        let changed = (stateDirectory as NSString).appendingPathComponent("demo-with-\(Self.addedTopic).yaml")
        // The demo playbook reads every secret from env:, so its changed copy can live in the state directory.
        let absolute = text.replacingOccurrences(
            of: names, with: "names: [orders, payments, inventory, \(Self.addedTopic)]")
        _ = FileManager.default.createFile(
            atPath: changed, contents: Data(absolute.utf8), attributes: [.posixPermissions: 0o600])
        Terminal.line("")
        Terminal.line("$ jumpchain plan \(changed)   # topics.names gained \(Self.addedTopic)")
        if let planned = try await Update.planned(
            try Rollout.loadPlaybook(
                changed, environment: options.environment, allowInsecureHTTP: options.allowInsecureHTTP
            ).0, path: changed, prune: false,
            options: options)
        {
            Terminal.line(
                "  add: \(planned.diff.added.map(\.origin).joined(separator: ", ")); \(planned.plan.steps.count) steps")
        }
        Terminal.line("$ jumpchain apply \(changed)")
        let update = try await Rollout.apply(playbookPath: changed, options: options)
        Summary.print(update, format: output.format)
        let verification = try await Rollout.verify(
            run: report.runName, timeout: .seconds(60), canary: false, options: options)
        if output.format == .json {
            Terminal.line(VerificationJSON.encode(verification.report))
        } else {
            Terminal.line("")
            Terminal.line(VerificationTableRenderer(color: Terminal.isTTY).render(verification.report))
        }
        if !verification.passed { throw ExitCode(ExitStatus.verificationFailed) }
    }

    /// The jump must hold no live key but the link key, and no issued secret may be in the run directory.
    func checkInvariant(_ simulator: Simulator, jump: String, report: Rollout.Report) throws {
        guard let state = try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8)) as? [String: Any],
            let keys = state["api_keys"] as? [[String: Any]]
        else { return }
        let live = keys.filter { ($0["resource"] as? String) == jump && ($0["revoked"] as? Bool) != true }
        let liveIDs = live.compactMap { $0["id"] as? String }
        let linkKey = report.states[RolloutStep.destroySecret]?.outputs["key_id"]
        let secrets = keys.compactMap { $0["secret"] as? String }.filter { !$0.isEmpty }
        let hits = SecretScan.scan(directory: report.directory, secrets: secrets)
        Terminal.line(
            "invariant: live keys on the jump: \(liveIDs.joined(separator: ", ")) "
                + (liveIDs == [linkKey].compactMap { $0 } ? "(only the link key ✓)" : "(UNEXPECTED)"))
        Terminal.line(
            "secret scan of \(report.directory): \(hits.isEmpty ? "no secret found ✓" : "\(hits.count) HITS")")
        if liveIDs != [linkKey].compactMap({ $0 }) || !hits.isEmpty { throw ExitCode(1) }
    }
}

/// Searches files for secrets, raw and as base64 of `key:secret`.
enum SecretScan {
    static func scan(directory: String, secrets: [String]) -> [String] {
        var hits: [String] = []
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        for case let file as String in enumerator {
            let path = (directory as NSString).appendingPathComponent(file)
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for secret in secrets where data.range(of: Data(secret.utf8)) != nil {
                hits.append(path)
            }
        }
        return hits
    }
}
