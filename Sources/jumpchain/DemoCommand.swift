import ArgumentParser
import ConfluentSimulator
import Foundation
import JumpchainCore
import JumpchainJSON
import Workflow

/// `make demo`: the jump-chain rollout end to end on the embedded simulator's `jump-demo` world.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the jump-chain rollout end to end on the embedded simulator.")

    @Option(help: "The demo playbook.") var playbook: String = "playbooks/demo.yaml"
    @Option(
        name: .customLong("state-dir"),
        help: "Where the demo's run directory goes; a previous demo run there is replaced, nothing else is touched.")
    var stateDirectory: String = ".jumpchain/demo"
    @Option(help: "Output format: text or json (JSON lines).") var output: OutputFormatArgument = .text

    func run() async throws {
        guard FileManager.default.isReadableFile(atPath: playbook) else {
            throw ExitStatus.fail(
                JumpchainError(
                    .invalidInput,
                    "cannot read playbook `\(playbook)`: \(PlaybookLoader.unreadableReason(playbook)); `jumpchain demo` "
                        + "reads playbooks/demo.yaml from the current directory: run it from the repository root or "
                        + "give --playbook PATH"))
        }
        // The jump-demo world plus one origin topic the first rollout leaves out, added to the live chain later.
        // The least-privilege variant: the operator is no organization admin, only what jumpchain needs.
        var world = SimulatorConfig.jumpDemoLeastPrivilege()
        world.topics.append(
            SimulatorConfig.Topic(
                cluster: SimulatorConfig.JumpDemo.origin, name: Self.addedTopic, partitions: 2, records: 25))
        let simulator = try await Simulator.start(world, revealOperatorSecrets: true)
        do {
            try await run(simulator)
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    func run(_ simulator: Simulator) async throws {
        let info = simulator.connectionInfo
        printSimulator(info)
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in info.playbookEnvironment(linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount) {
            environment[name] = value
        }
        if environment["JUMPCHAIN_POLL_MS"] == nil { environment["JUMPCHAIN_POLL_MS"] = "250" }
        let printer = ProgressPrinter(format: output.format)
        var options = Rollout.Options(
            stateDirectory: stateDirectory, environment: environment, observer: printer.observer,
            notice: printer.notice, handleSignals: true)
        options.onStart = printer.onStart
        do {
            let (book, _) = try Rollout.loadPlaybook(playbook, environment: environment)
            try DemoRunDirectory.replace(Rollout.runDirectory(for: book.runName, options: options), run: book.runName)
            let report = try await Rollout.apply(playbookPath: playbook, options: options)
            Summary.print(report, format: output.format)
            let verification = try await Rollout.verify(
                run: report.runName, timeout: .seconds(60), canary: true, options: options)
            if output.format == .json {
                Terminal.line(VerificationJSON.encode(verification.report))
                for result in verification.canary { Terminal.line(VerificationJSON.line(result)) }
            } else {
                Terminal.line("")
                Terminal.line(VerificationTableRenderer(color: Terminal.isTTY).render(verification.report))
                for result in verification.canary { Terminal.line(result.heartbeatLine) }
                if let groups = verification.groups {
                    for line in groups.tableLines() { Terminal.line(line) }
                    Terminal.line(
                        "  (each leg copies committed offsets every consumer.offset.sync.ms; the cutover below waits "
                            + "until the target's equal the origin's)")
                }
            }
            try checkInvariant(
                simulator, jump: SimulatorConfig.JumpDemo.jump, origin: SimulatorConfig.JumpDemo.origin, report: report)
            if output.format == .text {
                try await keyFreeStatus(
                    simulator, jump: SimulatorConfig.JumpDemo.jump, run: report.runName, options: options)
            }
            try await addTopic(report: report, options: options)
            try await cutover(simulator, run: report.runName, options: options)
            // The rest of the chain's life: tear it down, keeping the target's topics as writable topics.
            if output.format == .text {
                Terminal.line("")
                Terminal.line("$ jumpchain destroy \(report.runName) --target-topics keep")
            }
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
            throw ExitStatus.fail(error)
        }
    }

    func printSimulator(_ info: SimulatorConnectionInfo) {
        if output.format == .json {
            let clusters = info.clusters.map { cluster -> JSON in
                .object([
                    "name": .string(cluster.name), "id": .string(cluster.id), "rest": .string(cluster.restURL),
                    "network": cluster.network.map { .string($0) } ?? .null,
                ])
            }
            Terminal.line(
                JSONText.object([
                    "simulator": .object([
                        "control_plane": .string(info.controlPlaneURL), "clusters": .array(clusters),
                    ])
                ]))
            return
        }
        Terminal.line("simulator: control plane \(info.controlPlaneURL)")
        for cluster in info.clusters {
            let placement = cluster.network.map { "private network \($0)" } ?? "public"
            Terminal.line(
                "  \(cluster.name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(cluster.id) "
                    + "(\(placement)) \(cluster.restURL)")
        }
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
        let narrate = output.format == .text
        if narrate {
            Terminal.line("")
            Terminal.line("$ jumpchain plan \(changed)   # topics.names gained \(Self.addedTopic)")
        }
        if let planned = try await Update.planned(
            try Rollout.loadPlaybook(
                changed, environment: options.environment, allowInsecureHTTP: options.allowInsecureHTTP
            ).0, path: changed, prune: false,
            options: options), narrate
        {
            Terminal.line(
                "  add: \(planned.diff.added.map(\.origin).joined(separator: ", ")); \(planned.plan.steps.count) steps")
        }
        if narrate { Terminal.line("$ jumpchain apply \(changed)") }
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

    /// The migration's end: the operator stops the producers, the consumer group's offsets reach the target
    /// through both legs, and the cutover promotes the target's mirrors with zero records lost.
    func cutover(_ simulator: Simulator, run: String, options: Rollout.Options) async throws(JumpchainError) {
        // Narration is for people: with --output json, standard output holds JSON documents only.
        if output.format == .text {
            Terminal.line("")
            Terminal.line("(the simulator's producers stop, as an operator stops them before a cutover)")
        }
        simulator.setProducersPaused(true)
        if output.format == .text { Terminal.line("$ jumpchain cutover \(run) --quiet-period 5") }
        let outcome = try await Cutover.cutover(
            Cutover.Request(run: run, quietPeriod: 5, timeout: 120), options: options)
        if case .done(let report) = outcome { Summary.print(report, format: output.format) }
    }

    /// The jump must hold no live key but the link key, the origin no key jumpchain minted but the origin link
    /// key (leg 1's local credentials), and no issued secret may be in the run directory.
    func checkInvariant(_ simulator: Simulator, jump: String, origin: String, report: Rollout.Report) throws {
        guard let state = try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8)) as? [String: Any],
            let keys = state["api_keys"] as? [[String: Any]]
        else { return }
        func live(on cluster: String) -> [[String: Any]] {
            keys.filter { ($0["resource"] as? String) == cluster && ($0["revoked"] as? Bool) != true }
        }
        let liveIDs = live(on: jump).compactMap { $0["id"] as? String }
        // Keys jumpchain minted on the origin are owned by a service account (the operator's are a user's).
        let serviceAccounts = Set(
            ((state["principals"] as? [[String: Any]]) ?? []).filter { ($0["kind"] as? String) == "ServiceAccount" }
                .compactMap { $0["id"] as? String })
        let originIDs = live(on: origin).filter { serviceAccounts.contains(($0["owner"] as? String) ?? "") }
            .compactMap { $0["id"] as? String }
        let outputs = report.states[RolloutStep.destroySecret]?.outputs ?? [:]
        let linkKey = outputs["key_id"]
        let originKey = outputs["origin_key_id"]
        let secrets = keys.compactMap { $0["secret"] as? String }.filter { !$0.isEmpty }
        let hits = SecretScan.scan(directory: report.directory, secrets: secrets)
        let onlyLinkKey = liveIDs == [linkKey].compactMap { $0 }
        let onlyOriginKey = originIDs == [originKey].compactMap { $0 }
        let holds = onlyLinkKey && onlyOriginKey && hits.isEmpty
        if output.format == .json {
            Terminal.line(
                JSONText.object([
                    "invariant": .object([
                        "live_keys_on_jump": .array(liveIDs.map { .string($0) }),
                        "link_key": linkKey.map { .string($0) } ?? .null, "only_link_key": .bool(onlyLinkKey),
                        "origin_keys_minted": .array(originIDs.map { .string($0) }),
                        "origin_link_key": originKey.map { .string($0) } ?? .null,
                        "only_origin_link_key": .bool(onlyOriginKey),
                        "secret_scan_directory": .string(report.directory),
                        "secret_hits": .array(hits.map { .string($0) }), "holds": .bool(holds),
                    ])
                ]))
        } else {
            Terminal.line(
                "keys on the jump: \(liveIDs.count) (\(onlyLinkKey ? "link key" : "UNEXPECTED: " + liveIDs.joined(separator: ", "))), "
                    + "keys on the origin minted by jumpchain: \(originIDs.count) "
                    + "(\(onlyOriginKey ? (originIDs.isEmpty ? "none" : "link local key") : "UNEXPECTED: " + originIDs.joined(separator: ", ")))"
            )
            Terminal.line(
                "invariant: live keys on the jump: \(liveIDs.joined(separator: ", ")) "
                    + (onlyLinkKey ? "(only the link key ✓)" : "(UNEXPECTED)")
                    + "; origin link key: \(originIDs.joined(separator: ", ")) "
                    + (onlyOriginKey ? "✓" : "(UNEXPECTED)"))
            Terminal.line(
                "secret scan of \(report.directory): \(hits.isEmpty ? "no secret found ✓" : "\(hits.count) HITS")")
        }
        if !holds {
            Terminal.error("jumpchain demo: the invariant does not hold")
            throw ExitCode(1)
        }
    }
}

/// The demo's own run directory: a previous demo run there is replaced; anything else is refused.
enum DemoRunDirectory {
    /// Removes the run directory of an earlier demo run (only the engine's files in it), refusing a directory
    /// that holds anything else, another run's state, or a live runner.
    static func replace(_ directory: String, run: String) throws(JumpchainError) {
        guard FileManager.default.fileExists(atPath: directory) else { return }
        let foreign = RunHistory.foreignEntries(directory)
        guard foreign.isEmpty else {
            throw JumpchainError(
                .invalidInput,
                "\(directory) holds files jumpchain did not create (\(foreign.joined(separator: ", "))); the demo "
                    + "replaces only its own run: give another --state-dir, or move them away")
        }
        if RunStore.exists(directory: directory), let store = try? RunStore.openReadOnly(directory: directory),
            store.runName != run
        {
            throw JumpchainError(
                .invalidInput,
                "\(directory) holds run \(store.runName), not the demo's run \(run); give another --state-dir")
        }
        let lock: RunLock
        do {
            lock = try RunLock.acquire(directory: directory)
        } catch {
            throw JumpchainError(error.code == .runLocked ? .runLocked : .runFailed, error.message, cause: error)
        }
        RunHistory.removeRunFiles(directory)
        lock.release()
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
