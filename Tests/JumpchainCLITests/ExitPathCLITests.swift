import ConfluentSimulator
import Foundation
import Testing

private typealias Demo = SimulatorConfig.JumpDemo

extension DemoWorld {
    /// Live keys on the jump that no link half holds: the invariant says there are none once a command ended.
    func unheldJumpKeys() -> [String] {
        let links = (state()["links"] as? [[String: Any]]) ?? []
        let held = Set(links.compactMap { $0["remote_api_key_id"] as? String })
        return liveKeys(on: Demo.jump).filter { !held.contains($0) }
    }

    /// Live keys on the jump owned by `owner` (the link service account, or the operator for session keys).
    func liveJumpKeys(ownedBy owner: String) -> [String] {
        ((state()["api_keys"] as? [[String: Any]]) ?? []).filter {
            ($0["resource"] as? String) == Demo.jump && ($0["revoked"] as? Bool) != true
                && ($0["owner"] as? String) == owner
        }.compactMap { $0["id"] as? String }
    }

    /// Sets the simulator's faults (the whole object, as `POST /sim/v1/faults` does).
    func faults(_ configure: (inout FaultSettings) -> Void) {
        var faults = FaultSettings()
        configure(&faults)
        simulator.setFaults(faults)
    }
}

/// Waits (polling) until `condition` holds or the process ends; false when it ended first or 60 s passed.
private func waitUntil(_ running: CLI.Running, _ condition: () -> Bool) async throws -> Bool {
    let guardTime = Date().addingTimeInterval(60)
    while running.process.isRunning && Date() < guardTime {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return false
}

/// Waits for the process, killing it if it outlives `hangGuard` (a guard against a hang, not a timing check).
private func finish(_ running: CLI.Running, hangGuard: TimeInterval) async throws -> (CLI.Result, hung: Bool) {
    let limit = Date().addingTimeInterval(hangGuard)
    while running.process.isRunning && Date() < limit { try await Task.sleep(for: .milliseconds(50)) }
    let hung = running.process.isRunning
    if hung { running.kill() }
    return (await running.wait(), hung)
}

extension BinaryTestsLane2 {
    /// Issue 9, items 2–6 and 14: every exit path keeps the one-key invariant, deadlines and retry promises.
    @Suite("exit paths: signals, deadlines, faults, retries", .serialized)
    struct ExitPathCLITests {
        @Test(
            "SIGINT/SIGTERM while the link key propagates: exit 130, the unheld key revoked, resume finishes",
            arguments: [SIGINT, SIGTERM])
        func signalDuringLinkKey(signal: Int32) async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let running = try world.start(["apply", world.demoPlaybook])
            // The link key exists on the server and is still propagating (the simulator answers 401 for a while).
            let minted = try await waitUntil(running) { !world.liveJumpKeys(ownedBy: Demo.linkServiceAccount).isEmpty }
            try #require(minted, "the link key was never minted")
            let linkKeys = world.liveJumpKeys(ownedBy: Demo.linkServiceAccount)
            kill(running.process.processIdentifier, signal)
            let (stopped, hung) = try await finish(running, hangGuard: 60)
            world.record(stopped)
            #expect(!hung, "apply did not stop after the signal")
            #expect(stopped.status == 130, "\(stopped.output)")
            #expect(stopped.stderr.contains("jumpchain resume jump-demo"), "\(stopped.stderr)")
            #expect(world.unheldJumpKeys().isEmpty, "live jump keys held by no link: \(world.unheldJumpKeys())")
            for key in linkKeys {
                #expect(!world.liveKeys(on: Demo.jump).contains(key), "link key \(key) minted before the stop is live")
            }

            let resumed = try await world.jumpchain(["resume", "jump-demo"])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(world.liveKeys(on: Demo.jump).count == 1)
            #expect(world.unheldJumpKeys().isEmpty)
        }

        @Test("verify --watch, verify, status and plan --validate: SIGINT/SIGTERM revoke the session key, exit 130")
        func signalDuringReadCommands() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            /// Starts `arguments`, signals it once its session key is live, and checks the jump is left with `keys`.
            func interrupt(_ arguments: [String], with signal: Int32, leaving keys: [String]) async throws {
                // Slow answers from the target keep each command busy after it minted its session key.
                world.faults {
                    $0.latencyMs = 700
                    $0.listeners = [Demo.target]
                }
                let running = try world.start(arguments)
                let minted = try await waitUntil(running) { !world.liveJumpKeys(ownedBy: Demo.operatorUser).isEmpty }
                try #require(minted, "\(arguments): no session key was minted")
                kill(running.process.processIdentifier, signal)
                let (stopped, hung) = try await finish(running, hangGuard: 60)
                world.record(stopped)
                world.faults { _ in }
                #expect(!hung, "\(arguments) did not stop after the signal")
                #expect(stopped.status == 130, "\(arguments): \(stopped.output)")
                #expect(stopped.stderr.contains("stopped by"), "\(arguments): \(stopped.stderr)")
                #expect(
                    world.liveKeys(on: Demo.jump) == keys,
                    "\(arguments): live keys on the jump \(world.liveKeys(on: Demo.jump)), expected \(keys)")
            }
            // Before the rollout (its preflight refuses existing links): nothing may be left on the jump.
            try await interrupt(["plan", world.demoPlaybook, "--validate"], with: SIGTERM, leaving: [])
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let linkKeys = world.liveKeys(on: Demo.jump)
            try await interrupt(
                ["verify", "jump-demo", "--watch", "--interval", "1", "--inspect-jump"], with: SIGTERM,
                leaving: linkKeys)
            try await interrupt(["verify", "jump-demo", "--timeout", "60"], with: SIGINT, leaving: linkKeys)
            // status and verify --watch are key-free by default: --inspect-jump makes them mint a session key.
            try await interrupt(["status", "jump-demo", "--inspect-jump"], with: SIGINT, leaving: linkKeys)
        }

        @Test("a session key that cannot be revoked keeps apply and verify from succeeding; resume and status sweep it")
        func unrevokableSessionKey() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            // Every revocation fails after all its retries (fewer attempts than usual: the outcome is the same).
            let failing = { world.faults { $0.failingRequests = ["control-plane DELETE /iam/v2/api-keys"] } }
            let fewerAttempts = ["JUMPCHAIN_HTTP_ATTEMPTS": "2"]
            failing()
            let applied = try await world.jumpchain(["apply", world.demoPlaybook], environment: fewerAttempts)
            world.faults { _ in }
            let left = world.liveJumpKeys(ownedBy: Demo.operatorUser)
            #expect(left.count == 1, "live session keys: \(left)")
            #expect(applied.status == 6, "a run whose session key is live is not done: \(applied.output)")
            for key in left {
                #expect(applied.stderr.contains("session key \(key):"), "the live key is not named: \(applied.stderr)")
            }
            #expect(applied.stderr.contains("`jumpchain resume jump-demo`"), "\(applied.stderr)")
            let status = try await world.jumpchain(["status", "jump-demo", "--output", "json"])
            #expect(status.stdout.contains("\"failed\""), "the run is not recorded as unfinished: \(status.output)")
            let resumed = try await world.jumpchain(["resume", "jump-demo"])
            #expect(resumed.status == 0, "\(resumed.output)")
            #expect(world.liveJumpKeys(ownedBy: Demo.operatorUser).isEmpty, "resume did not sweep the session key")
            #expect(world.unheldJumpKeys().isEmpty)

            // A read command that mints a session key: verify.
            failing()
            let verified = try await world.jumpchain(["verify", "jump-demo"], environment: fewerAttempts)
            world.faults { _ in }
            let verifyKeys = world.liveJumpKeys(ownedBy: Demo.operatorUser)
            #expect(verifyKeys.count == 1, "live session keys: \(verifyKeys)")
            #expect(verified.status == 6, "\(verified.output)")
            for key in verifyKeys {
                #expect(
                    verified.stderr.contains("session key \(key):"), "the live key is not named: \(verified.stderr)")
            }
            #expect(verified.stderr.contains("`jumpchain status jump-demo --inspect-jump`"), "\(verified.stderr)")
            let swept = try await world.jumpchain(["status", "jump-demo", "--inspect-jump"])
            #expect(swept.status == 0, "\(swept.output)")
            #expect(world.liveJumpKeys(ownedBy: Demo.operatorUser).isEmpty, "status did not sweep the session key")
        }

        @Test("verify --timeout is a deadline for the whole command: a blackholed target cannot stretch it")
        func deadlineWithBlackholedTarget() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let linkKeys = world.liveKeys(on: Demo.jump)
            world.faults { $0.blackholed = [Demo.target] }
            // Without a deadline one read alone takes 4 attempts × 15 s here; the guard is only against a hang. The
            // reads in flight at the timeout get as long again (the last round's grace), so it ends after about 4 s.
            let running = try world.start(["verify", "jump-demo", "--timeout", "2"])
            let (result, hung) = try await finish(running, hangGuard: 45)
            world.record(result)
            world.faults { _ in }
            #expect(!hung, "verify --timeout 2 was still running after 45 s")
            #expect(result.status == 5, "\(result.output)")
            let named = result.stderr.split(separator: "\n").filter {
                $0.contains("on the target (\(Demo.target)): could not be read")
            }
            #expect(!named.isEmpty, "the unreachable target is not named on stderr: \(result.output)")
            #expect(world.liveKeys(on: Demo.jump) == linkKeys, "the session key outlived the deadline")
        }

        @Test("on a terminal, verify says what it is waiting for while a cluster does not answer")
        func progressOnATerminal() async throws {
            // util-linux `script` gives the command a pseudo-terminal; without it there is no TTY to test.
            let script = "/usr/bin/script"
            guard FileManager.default.isExecutableFile(atPath: script) else {
                print("skipped: \(script) (util-linux) is not installed, so no pseudo-terminal can be given")
                return
            }
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            world.faults { $0.blackholed = [Demo.target] }
            // The progress line comes after 5 s; the blackholed reads hold verify until the timeout plus its grace (8 s).
            let command = [CLI.binary, "verify", "jump-demo", "--timeout", "4", "--state-dir", world.stateDirectory]
                .map { "'\($0)'" }.joined(separator: " ")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: script)
            process.arguments = ["-qefc", command, "/dev/null"]
            process.environment = world.environment
            process.currentDirectoryURL = URL(fileURLWithPath: world.workDirectory)
            let output = Pipe()
            process.standardOutput = output
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let data = await withCheckedContinuation { (continuation: CheckedContinuation<Data, Never>) in
                DispatchQueue.global().async {
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: data)
                }
            }
            world.faults { _ in }
            let text = String(decoding: data, as: UTF8.self)
            world.record(
                CLI.Result(status: process.terminationStatus, stdout: text, stderr: "", arguments: [script, command]))
            #expect(process.terminationStatus == 5, "\(text)")
            #expect(
                text.contains("verify jump-demo: still waiting after "), "no progress line on the terminal: \(text)")
        }

        /// Every answer is slower than any interval the commands poll at (100 ms here, 1–2 s by default) and the
        /// steps' waits overlap slow requests; 1.5 s proves that as well as longer latency would, at half the cost.
        @Test("with seconds of latency on every answer, apply succeeds and verify reports no lag the clusters lack")
        func latency() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            world.faults { $0.latencyMs = 1500 }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(applied.status == 0, "\(applied.output)")
            #expect(world.unheldJumpKeys().isEmpty)
            #expect(world.liveKeys(on: Demo.jump).count == 1)
            try #require(applied.status == 0)

            // The demo's producer keeps writing to the origin meanwhile.
            world.faults { $0.latencyMs = 1000 }
            let result = try await world.jumpchain(["verify", "jump-demo", "--timeout", "60", "--output", "json"])
            world.faults { _ in }
            #expect(result.status == 0, "\(result.output)")
            // JSON lines: the report first (the consumer-group table follows when offset sync is on).
            let firstLine = String(result.stdout.split(separator: "\n").first ?? "")
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(firstLine.utf8)) as? [String: Any], "\(result.stdout)")
            #expect(report["rounds"] as? Int == 1, "a round reported lag that was not there: \(result.output)")
            let partitions = ((report["topics"] as? [[String: Any]]) ?? []).flatMap {
                ($0["partitions"] as? [[String: Any]]) ?? []
            }
            #expect(!partitions.isEmpty)
            #expect(partitions.allSatisfy { $0["lag_is_lower_bound"] is Bool }, "\(partitions.first ?? [:])")
        }

        /// Six 429s in a row are more than one request's four attempts, so a request can run out of retries and its
        /// step retry it; each 429 costs a wait of a second or so, and a longer burst (it was 20) adds only waits.
        @Test("a burst of 429s longer than a request's attempts at the start of apply is not fatal; no retry chatter")
        func rateLimitBurstDuringApply() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            world.faults { $0.rateLimitBurst = 6 }
            let result = try await world.jumpchain(["apply", world.demoPlaybook])
            #expect(result.status == 0, "\(result.output)")
            #expect(!result.output.contains("not retryable"), "\(result.output)")
            #expect(!result.stdout.contains("retried"), "transport retries on stdout:\n\(result.stdout)")
            #expect(!result.stdout.contains("attempt "), "transport retries on stdout:\n\(result.stdout)")
            let summaries = result.stderr.split(separator: "\n").filter { $0.contains("retried") }
            #expect(!summaries.isEmpty, "no retry summary on stderr:\n\(result.stderr)")
            for line in summaries {
                // One line per request, durations rounded (never `0.04646971350385129 seconds`).
                #expect(line.contains("attempts"), "\(line)")
                #expect(line.firstMatch(of: /\d\.\d{2,}/) == nil, "unrounded duration: \(line)")
            }
            #expect(world.unheldJumpKeys().isEmpty)
        }

        @Test("--verbose logs every request to stderr (method, URL, status, duration, attempt), redacted")
        func verboseRequestLog() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let applied = try await world.jumpchain(["apply", world.demoPlaybook])
            try #require(applied.status == 0, "\(applied.output)")
            let quiet = try await world.jumpchain(["status", "jump-demo"])
            #expect(quiet.status == 0, "\(quiet.output)")
            #expect(!quiet.stderr.contains("http: "), "\(quiet.stderr)")
            // --inspect-jump: a key-free status would mint (and revoke) no session key to log.
            let verbose = try await world.jumpchain(["status", "jump-demo", "--verbose", "--inspect-jump"])
            #expect(verbose.status == 0, "\(verbose.output)")
            #expect(!verbose.stdout.contains("http: "), "the request log belongs on stderr")
            let lines = verbose.stderr.split(separator: "\n").filter { $0.hasPrefix("http: ") }
            #expect(lines.contains { $0.contains("POST http://127.0.0.1:") && $0.contains("/iam/v2/api-keys") })
            #expect(lines.contains { $0.contains("DELETE http://127.0.0.1:") && $0.contains("→ 204") })
            #expect(lines.contains { $0.contains("/kafka/v3/clusters/\(Demo.target)/") && $0.contains("→ 200") })
            #expect(lines.allSatisfy { $0.firstMatch(of: /→ .+ in \d+ (ms|s) \(attempt \d+\)$/) != nil }, "\(lines)")
            for needle in world.issuedSecretNeedles() {
                #expect(!verbose.output.contains(needle), "an issued secret appeared in the --verbose output")
            }
        }
    }
}
