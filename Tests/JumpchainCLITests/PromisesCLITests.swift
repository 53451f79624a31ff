import ConfluentSimulator
import Foundation
import Testing

extension BinaryTestsLane3 {
    /// Every exit path keeps README's promises: the exit-code table, lost or unusable state, file modes, and
    /// machine-readable output, each observed through the built binary.
    @Suite("exit paths keep their promises", .serialized)
    struct PromisesCLITests {
        typealias Demo = SimulatorConfig.JumpDemo

        /// No internal engine code (`runNotFound:`, `storeCorrupt:`, ...) ever reaches a message.
        func expectNoInternalCode(_ result: CLI.Result) {
            for code in ["runNotFound", "storeCorrupt", "runLocked", "storeFailure", "lockFailed", "runAlreadyExists"] {
                #expect(!result.output.contains(code + ":"), "internal code \(code) in: \(result.output)")
            }
        }

        func mode(_ path: String) -> Int? {
            (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
        }

        /// The links' remote keys and the live keys on the jump, from the simulator.
        func linkKeys(_ world: DemoWorld) -> (links: Set<String>, live: [String]) {
            let links = ((world.state()["links"] as? [[String: Any]]) ?? []).compactMap {
                $0["remote_api_key_id"] as? String
            }.filter { !$0.isEmpty }
            return (Set(links), world.liveKeys(on: Demo.jump))
        }

        /// `status --offline` and `graph` on a run directory nobody may write to: a copy owned by an unprivileged
        /// user, read as that user (root ignores permissions, so a root test drops to uid 65534 with `setpriv`).
        func expectReadOnlyCommandsWork(_ world: DemoWorld) async throws {
            let copy = world.workDirectory + "/readonly"
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: world.stateDirectory + "/jump-demo", toPath: copy + "/jump-demo")
            let run = copy + "/jump-demo"
            var prefix: [String] = []
            if getuid() == 0 {
                guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                    print("read-only run directory: skipped (running as root without /usr/bin/setpriv)")
                    return
                }
                for path in [copy, run]
                    + (try FileManager.default.contentsOfDirectory(atPath: run)).map({ run + "/" + $0 })
                {
                    _ = chown(path, 65534, 65534)
                }
                prefix = ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.binary]
            }
            for file in try FileManager.default.contentsOfDirectory(atPath: run) { _ = chmod(run + "/" + file, 0o400) }
            _ = chmod(run, 0o500)
            _ = chmod(world.workDirectory, 0o755)
            defer { _ = chmod(run, 0o700) }
            let before = try FileManager.default.contentsOfDirectory(atPath: run).sorted()
            for arguments in [
                ["status", run, "--offline"], ["graph", run], ["status", run, "--offline", "--output", "json"],
            ] {
                let result = try await CLI.Running(
                    prefix + arguments, environment: world.environment, directory: copy,
                    executable: prefix.isEmpty ? nil : "/usr/bin/setpriv"
                ).wait()
                #expect(result.status == 0, "\(arguments) on a read-only run directory: \(result.output)")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: run).sorted() == before)
        }

        /// The README's exit-code table, one case at a time: 2, 3, 7, 8, 64 and 75 here (0 everywhere; 5 in
        /// VerifyCLITests; 130 in KillResumeCLITests).
        @Test(
            "exit codes: usage 64, bad input 2, empty selection 3, no run 7, unusable state 8, locked 75, unfinished 6")
        func exitCodes() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let run = world.stateDirectory + "/jump-demo"

            let unlockMissing = try await world.jumpchain(["force-unlock", "jump-demo"])
            #expect(unlockMissing.status == 7, "\(unlockMissing.output)")
            #expect(unlockMissing.stderr.contains("no run jump-demo"))
            expectNoInternalCode(unlockMissing)
            let statusMissing = try await world.jumpchain(["status", "jump-demo", "--offline"])
            #expect(statusMissing.status == 7, "\(statusMissing.output)")
            expectNoInternalCode(statusMissing)

            let usage = try await world.jumpchain(["graph", "jump-demo", "--format", "svg"])
            #expect(usage.status == 64, "\(usage.output)")

            let missing = try await world.jumpchain(["plan", world.workDirectory + "/nowhere.yaml"])
            #expect(missing.status == 2, "\(missing.output)")
            #expect(
                missing.stderr.contains("nowhere.yaml") && missing.stderr.contains("no such file"), "\(missing.stderr)")
            let directory = try await world.jumpchain(["plan", world.workDirectory])
            #expect(directory.status == 2, "\(directory.output)")
            #expect(directory.stderr.contains("is a directory"), "\(directory.stderr)")

            // topics.patterns matching nothing: refused before anything is changed, with the count per pattern.
            let before = world.remoteFingerprint()
            let empty = try world.playbookVariant(
                "empty", replacing: [("names: [orders, payments, inventory]", "patterns: ['refunds\\..*']")])
            let emptyPlan = try await world.jumpchain(["plan", empty])
            #expect(emptyPlan.status == 3, "\(emptyPlan.output)")
            #expect(emptyPlan.stderr.contains("`refunds\\..*` matched 0"), "\(emptyPlan.stderr)")
            let emptyApply = try await world.jumpchain(["apply", empty])
            #expect(emptyApply.status == 3, "\(emptyApply.output)")
            #expect(emptyApply.stderr.contains("topics.allow_empty"), "\(emptyApply.stderr)")
            #expect(world.remoteFingerprint() == before)
            #expect(world.liveKeys(on: Demo.jump).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: run))
            // A pattern that matches: plan says how many topics it selected.
            let matching = try world.playbookVariant(
                "matching", replacing: [("names: [orders, payments, inventory]", "patterns: ['(orders|payments)']")])
            let matchingPlan = try await world.jumpchain(["plan", matching])
            #expect(matchingPlan.status == 0, "\(matchingPlan.output)")
            #expect(matchingPlan.stdout.contains("`(orders|payments)` matched 2"), "\(matchingPlan.stdout)")

            // A second apply while one runs: 75, whatever phase the first is in. The first runs with umask 000:
            // the store and its -wal/-shm are 0600 anyway.
            let first = try CLI.Running(
                [
                    "-c", "umask 000; exec \"$0\" \"$@\"", CLI.binary, "apply", world.demoPlaybook,
                    "--state-dir", world.stateDirectory,
                ],
                environment: world.environment, directory: world.workDirectory, executable: "/bin/sh")
            let deadline = Date().addingTimeInterval(60)
            while !FileManager.default.fileExists(atPath: run + "/state.sqlite-wal") && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let second = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(second.status == 75, "\(second.output)")
            expectNoInternalCode(second)
            for file in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm"] {
                #expect(
                    mode(run + "/" + file) == 0o600, "\(file) has mode \(String(mode(run + "/" + file) ?? 0, radix: 8))"
                )
            }
            first.kill()
            _ = await first.wait()
            let unfinished = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(unfinished.status == 6, "\(unfinished.output)")
            let resumed = try await world.jumpchain(["resume", "jump-demo"])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(mode(run + "/state.sqlite") == 0o600)

            // An empty store: a clear message with the recovery command (8), and nothing written into it.
            try Data().write(to: URL(fileURLWithPath: run + "/state.sqlite"))
            for arguments in [["status", "jump-demo", "--offline"], ["graph", "jump-demo"], ["status", "jump-demo"]] {
                let result = try await world.jumpchain(arguments)
                #expect(result.status == 8, "\(arguments): \(result.output)")
                #expect(result.stderr.contains("apply --adopt"), "\(result.stderr)")
                expectNoInternalCode(result)
                #expect(mode(run + "/state.sqlite") != nil)
                #expect((try? Data(contentsOf: URL(fileURLWithPath: run + "/state.sqlite")))?.isEmpty == true)
            }
            let reapply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(reapply.status == 8, "\(reapply.output)")
            #expect(reapply.stderr.contains("apply --adopt \(world.demoPlaybook)"), "\(reapply.stderr)")

            // Recovery: adopt the links and mirrors, mint a new link key, revoke the old one.
            let (_, liveBefore) = linkKeys(world)
            let adopted = try await world.jumpchain(["apply", "--adopt", world.demoPlaybook])
            #expect(adopted.status == 0, "\(adopted.output)")
            let (links, live) = linkKeys(world)
            #expect(live.count == 1 && links == Set(live), "links hold \(links), live on the jump: \(live)")
            #expect(Set(live).isDisjoint(with: liveBefore), "the old link key \(liveBefore) is still live")
            let setAside = try FileManager.default.contentsOfDirectory(atPath: run).filter {
                $0.hasPrefix("state.sqlite.unusable-")
            }
            #expect(setAside.count == 1, "\(setAside)")
            #expect(world.scanStateDirectory(for: world.issuedSecretNeedles()).isEmpty)

            let unlock = try await world.jumpchain(["force-unlock", "jump-demo", "--output", "json"])
            #expect(unlock.status == 0, "\(unlock.output)")
        }

        @Test("after the run directory is lost, apply --adopt adopts the chain; a link of the wrong shape is refused")
        func adoptAfterLostDirectory() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let apply = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(apply.status == 0, "\(apply.output)")
            let oldKey = linkKeys(world).live
            try FileManager.default.removeItem(atPath: world.stateDirectory + "/jump-demo")
            let refused = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(refused.status == 3, "\(refused.output)")
            #expect(refused.stderr.contains("apply --adopt"), "\(refused.stderr)")
            let adopted = try await world.jumpchain(["apply", world.demoPlaybook, "--adopt"])
            #expect(adopted.status == 0, "\(adopted.output)")
            let (links, live) = linkKeys(world)
            #expect(live.count == 1 && links == Set(live) && Set(live).isDisjoint(with: oldKey), "\(links) \(live)")
            let verify = try await world.jumpchain(["verify", "jump-demo", "--timeout", "30"])
            #expect(verify.status == 0, "\(verify.output)")
            try await expectReadOnlyCommandsWork(world)

            // A link with leg 2's name that replicates from the wrong cluster is not adopted; nothing changes.
            let other = try await DemoWorld.start()
            defer { Task { await other.stop() } }
            try await BinaryTests.ForeignLink.create(other, name: "demo-jump-to-target")
            let before = other.remoteFingerprint()
            let mismatch = try await other.jumpchain(["apply", other.demoPlaybook, "--adopt"])
            #expect(mismatch.status == 3, "\(mismatch.output)")
            #expect(mismatch.stderr.contains("cannot be adopted"), "\(mismatch.stderr)")
            #expect(mismatch.stderr.contains("replicates from \(Demo.origin), not \(Demo.jump)"), "\(mismatch.stderr)")
            #expect(other.remoteFingerprint() == before)
        }

        @Test("--output json: every line of every command's output is one JSON document")
        func jsonLines() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let commands: [[String]] = [
                ["plan", world.demoPlaybook], ["apply", world.demoPlaybook], ["apply", world.demoPlaybook],
                ["resume", "jump-demo"], ["status", "jump-demo"], ["status", "jump-demo", "--offline"],
                ["verify", "jump-demo", "--timeout", "30"], ["verify", "jump-demo", "--timeout", "30", "--canary"],
                ["verify", "jump-demo", "--watch", "--rounds", "2", "--interval", "1", "--timeout", "30"],
                ["graph", "jump-demo"], ["graph", "jump-demo", "--format", "mermaid"], ["force-unlock", "jump-demo"],
            ]
            for command in commands {
                let result = try await world.jumpchain(command + ["--output", "json"])
                #expect(result.status == 0, "\(command): \(result.output)")
                let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                #expect(!lines.isEmpty, "\(command) printed nothing")
                for line in lines {
                    let parsed = try? JSONSerialization.jsonObject(with: Data(line.utf8))
                    #expect(parsed is [String: Any], "\(command): not one JSON document: \(line)")
                }
            }
        }

        @Test("demo --state-dir replaces only its own run; JSON output parses line by line")
        func demoKeepsOtherFiles() async throws {
            let state = NSTemporaryDirectory() + "jumpchain-demo-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: state) }
            try FileManager.default.createDirectory(atPath: state + "/other-run", withIntermediateDirectories: true)
            try Data("keep me".utf8).write(to: URL(fileURLWithPath: state + "/other-run/state.sqlite"))
            try Data("notes".utf8).write(to: URL(fileURLWithPath: state + "/notes.txt"))
            let environment = ProcessInfo.processInfo.environment.merging(["JUMPCHAIN_POLL_MS": "100"]) { $1 }
            let playbook = CLI.packageRoot + "/playbooks/demo.yaml"
            let arguments = ["demo", "--playbook", playbook, "--state-dir", state]
            let first = try await CLI.run(arguments, environment: environment, directory: state)
            #expect(first.status == 0, "\(first.output)")
            let second = try await CLI.run(
                arguments + ["--output", "json"], environment: environment, directory: state)
            #expect(second.status == 0, "\(second.output)")
            for line in second.stdout.split(separator: "\n") {
                #expect(
                    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any],
                    "demo --output json: not one JSON document: \(line)")
            }
            #expect(second.stdout.contains("\"invariant\""))
            #expect(try String(contentsOfFile: state + "/other-run/state.sqlite", encoding: .utf8) == "keep me")
            #expect(try String(contentsOfFile: state + "/notes.txt", encoding: .utf8) == "notes")
            // Something the demo did not create in its run directory: refused, and left alone.
            try Data("mine".utf8).write(to: URL(fileURLWithPath: state + "/jump-demo/mine.txt"))
            let refused = try await CLI.run(arguments, environment: environment, directory: state)
            #expect(refused.status == 2, "\(refused.output)")
            #expect(refused.stderr.contains("mine.txt"), "\(refused.stderr)")
            #expect(FileManager.default.fileExists(atPath: state + "/jump-demo/mine.txt"))
            #expect(FileManager.default.fileExists(atPath: state + "/jump-demo/state.sqlite"))
            // Outside the repository, the default playbook is missing: the message says why and what to do.
            let outside = try await CLI.run(["demo", "--state-dir", state], environment: environment, directory: state)
            #expect(outside.status == 2, "\(outside.output)")
            #expect(
                outside.stderr.contains("no such file") && outside.stderr.contains("--playbook"), "\(outside.stderr)")
        }

        @Test("plan --validate reads stdin secrets once, like plan and apply; --help shows the --output default")
        func planValidateWithStdin() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "stdin", replacing: [("secret: env:JUMPCHAIN_CLOUD_SECRET", "secret: stdin")])
            let secret = world.environment["JUMPCHAIN_CLOUD_SECRET"] ?? ""
            let result = try await world.jumpchain(["plan", playbook, "--validate"], stdin: secret + "\n")
            #expect(result.status == 0, "\(result.output)")
            #expect(result.stdout.contains("validated: preflight: every check passed"), "\(result.stdout)")
            #expect(world.liveKeys(on: Demo.jump).isEmpty)
            let help = try await world.jumpchain(["apply", "--help"])
            #expect(help.stdout.contains("default: text)"), "\(help.stdout)")
            #expect(!help.stdout.contains("OutputFormatArgument"))
        }

        @Test("sim refuses a port base that leaves a listener outside 1024…65535, and an unknown config key")
        func simValidation() async throws {
            let directory = NSTemporaryDirectory() + "jumpchain-simcheck-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let environment = ProcessInfo.processInfo.environment
            let connection = ["--connection-file", directory + "/connection.json"]
            // A simulator that wrongly starts serves until stopped: each run gets 30 s, then it is killed.
            func refused(_ arguments: [String]) async throws -> CLI.Result {
                let running = try CLI.Running(arguments + connection, environment: environment, directory: directory)
                let deadline = Date().addingTimeInterval(30)
                while running.process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
                if running.process.isRunning {
                    running.kill()
                    Issue.record("jumpchain \(arguments.joined(separator: " ")) started serving instead of refusing")
                }
                return await running.wait()
            }
            for base in ["65535", "65533", "80", "0"] {
                let result = try await refused(["sim", "--scenario", "jump-demo", "--port-base", base])
                #expect(result.status == 2, "--port-base \(base): \(result.output)")
                #expect(result.stderr.contains("1024…65535"), "\(result.stderr)")
            }
            let config = directory + "/world.yaml"
            try "organization: org-x\nclusters:\n  - id: lkc-a\n    netwrk: n-1\n".write(
                toFile: config, atomically: true, encoding: .utf8)
            let result = try await refused(["sim", "--config", config])
            #expect(result.status == 2, "\(result.output)")
            #expect(result.stderr.contains("world.yaml:4:5: unknown key `netwrk` in `clusters[0]`"), "\(result.stderr)")
            #expect(!result.stderr.contains("invalid-config"), "\(result.stderr)")
        }
    }
}
