import ConfluentAPI
import ConfluentSimulator
import Foundation
import JumpchainTestSupport
import Synchronization
import Testing
import Workflow
import WorkflowPostgres

@testable import JumpchainCore

/// The jump session key against the simulator: one key per process, however many steps need the jump at once.
@Suite("jump session key")
struct JumpSessionTests {
    @Test("steps that first need the jump at the same time share one session key; closing revokes it")
    func concurrentFirstUsesMintOneKey() async throws {
        let (simulator, environment, playbook) = try await Self.demo()
        let context = try RunSession.makeContext(
            playbook, runName: playbook.runName, options: Rollout.Options(environment: environment))
        // As after a resume: several steps (leg 1's destination half, the jump ACLs, jump mirrors) start together.
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 {
                group.addTask { try await context.jump().clusterID }
            }
            for try await cluster in group { #expect(cluster == SimulatorConfig.JumpDemo.jump) }
        }
        let minted = await context.sessionKeyIDs()
        #expect(minted.count == 1, "session keys minted: \(minted)")
        await context.close()
        context.credentials.wipe()
        let live = Self.liveKeys(simulator, on: SimulatorConfig.JumpDemo.jump)
        await simulator.stop()
        #expect(live.isEmpty, "live keys on the jump after close: \(live)")
    }

    @Test("a step that needs the jump while the session key propagates waits for it instead of using it early")
    func callerDuringPropagationWaits() async throws {
        let (simulator, environment, playbook) = try await Self.demo()
        let context = try RunSession.makeContext(
            playbook, runName: playbook.runName, options: Rollout.Options(environment: environment))
        let first = Task { try await context.jump().clusterID }
        // The key exists on the control plane and is still propagating to the jump (seconds, in this world).
        while Self.liveKeys(simulator, on: SimulatorConfig.JumpDemo.jump).isEmpty {
            try await Task.sleep(for: .milliseconds(5))
        }
        // A second step arrives now: the client it gets already works (a 401 here failed a step for good).
        let topics = try await context.jump().listTopics()
        #expect(topics.isEmpty, "the demo jump holds no topic before a rollout: \(topics.map(\.topicName))")
        #expect(try await first.value == SimulatorConfig.JumpDemo.jump)
        #expect(await context.sessionKeyIDs().count == 1)
        await context.close()
        context.credentials.wipe()
        await simulator.stop()
    }

    /// The state backend a test's `backend` argument names: SQLite in `state`, or a new database `database` of the
    /// shared throwaway PostgreSQL.
    static func backend(_ kind: String, state: String, database: String) async throws -> any RunStateBackend {
        kind == "postgres"
            ? try PostgresRunBackend(url: try await ThrowawayPostgres.shared().createDatabase(database))
            : SQLiteRunBackend(stateDirectory: state)
    }

    @Test(
        "a run's sweep leaves a concurrent live session's key alone and revokes a dead session's",
        arguments: ["sqlite", "postgres"])
    func sweepSparesLiveSessions(backend kind: String) async throws {
        if kind == "postgres", let reason = ThrowawayPostgres.unavailableReason {
            print("session leases on PostgreSQL skipped: \(reason)")
            return
        }
        let (simulator, environment, playbook) = try await Self.demo()
        let state = NSTemporaryDirectory() + "jumpchain-sessions-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var options = Rollout.Options(stateDirectory: state, environment: environment)
        // On PostgreSQL its leases are advisory locks of the database's sessions.
        options.stateBackend = try await Self.backend(kind, state: state, database: "sessions")
        let backend = options.backend
        let root = backend.runKey(playbook.runName)
        _ = try backend.createRun(root, plan: try Plan(steps: [StepSpec(id: "noop", kind: "noop")]), manifest: "{}")
        let jump = SimulatorConfig.JumpDemo.jump

        // A process that died with its session key live: its lease went with it (its lock file stays behind).
        let dead = SessionLease.take(root: root, backend: backend)
        let deadNonce = try #require(dead.claim.nonce)
        let crashed = try RunSession.makeContext(
            playbook, runName: playbook.runName, options: options, claim: dead.claim)
        _ = try await crashed.jump()
        let crashedKey = try #require(await crashed.sessionKeyIDs().first)
        crashed.credentials.wipe()
        try #require(dead.lease as? SessionLease.Held).lease.release()
        // And one killed after its key was gone: only its lock file is left (SQLite), for the next session to remove.
        let gone = SessionLease.take(root: root, backend: backend)
        try #require(gone.lease as? SessionLease.Held).lease.release()
        if kind == "sqlite", let nonce = gone.claim.nonce {
            let file = RunDirectory.lockPath(root, site: SessionLease.site(nonce))
            try FileManager.default.setAttributes(
                [.modificationDate: Date().addingTimeInterval(-120)], ofItemAtPath: file)
        }

        // A read-only session (as `verify --inspect-jump`) is using its key while a mutating session of the same
        // run opens, uses the jump and closes, sweeping the keys it finds stale.
        var readerKey: String?
        var writerKey: String?
        var liveAfterWriter: [String] = []
        var readerStillWorks = false
        try await RunSession.with(playbook, runName: playbook.runName, options: options) {
            reader throws(JumpchainError) in
            do {
                let client = try await reader.jump()
                readerKey = await reader.sessionKeyIDs().first
                writerKey = try await RunSession.with(playbook, runName: playbook.runName, options: options) {
                    writer throws(JumpchainError) in
                    do { _ = try await writer.jump() } catch { throw JumpchainError(.remote, "\(error)") }
                    return await writer.sessionKeyIDs().first
                }
                liveAfterWriter = Self.liveKeys(simulator, on: jump)
                _ = try await client.listTopics()
                readerStillWorks = true
            } catch let error as JumpchainError {
                throw error
            } catch {
                throw JumpchainError(.remote, "\(error)")
            }
        }
        let live = Self.liveKeys(simulator, on: jump)
        await simulator.stop()
        let reader = try #require(readerKey)
        #expect(liveAfterWriter.contains(reader), "the writer's sweep revoked the reader's live key")
        #expect(readerStillWorks)
        #expect(writerKey != nil && !liveAfterWriter.contains(writerKey ?? ""), "the writer revoked its own key")
        #expect(!liveAfterWriter.contains(crashedKey), "the dead session's key was swept")
        #expect(live.isEmpty, "live keys on the jump after both sessions closed: \(live)")
        let left = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter {
            $0.contains("session-")
        }
        #expect(left.isEmpty, "session lock files left: \(left) (the dead one was \(deadNonce))")
    }

    @Test(
        "a run's first process, which opens its session before the run exists, leases it when it mints the key",
        arguments: ["sqlite", "postgres"])
    func firstProcessLeasesItsKey(backend kind: String) async throws {
        if kind == "postgres", let reason = ThrowawayPostgres.unavailableReason {
            print("first-process session lease on PostgreSQL skipped: \(reason)")
            return
        }
        let (simulator, environment, playbook) = try await Self.demo()
        let state = NSTemporaryDirectory() + "jumpchain-first-session-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var options = Rollout.Options(stateDirectory: state, environment: environment)
        options.stateBackend = try await Self.backend(kind, state: state, database: "first_session")
        let backend = options.backend
        let root = backend.runKey(playbook.runName)
        let jump = SimulatorConfig.JumpDemo.jump
        // As a first `apply`: the session opens, then the run is created, then a step mints the key; meanwhile a
        // concurrent command of the run (`status --inspect-jump`) opens, uses the jump and sweeps stale keys.
        var firstKey: String?
        var liveAfterSweep: [String] = []
        try await RunSession.with(playbook, runName: playbook.runName, options: options) {
            first throws(JumpchainError) in
            do {
                #expect(try backend.runExists(root) == false)
                _ = try backend.createRun(
                    root, plan: try Plan(steps: [StepSpec(id: "noop", kind: "noop")]), manifest: "{}")
                let client = try await first.jump()
                firstKey = await first.sessionKeyIDs().first
                try await RunSession.with(playbook, runName: playbook.runName, options: options) {
                    other throws(JumpchainError) in
                    do { _ = try await other.jump() } catch { throw JumpchainError(.remote, "\(error)") }
                }
                liveAfterSweep = Self.liveKeys(simulator, on: jump)
                _ = try await client.listTopics()
            } catch let error as JumpchainError {
                throw error
            } catch {
                throw JumpchainError(.remote, "\(error)")
            }
        }
        let live = Self.liveKeys(simulator, on: jump)
        await simulator.stop()
        let key = try #require(firstKey)
        #expect(liveAfterSweep.contains(key), "the concurrent sweep revoked the first process's live key")
        #expect(live.isEmpty, "live keys on the jump after both sessions closed: \(live)")
    }

    @Test("a first apply its preflight refuses closes its session before it removes the run it created")
    func refusedFirstApplyClosesBeforeRemovingTheRun() async throws {
        typealias Demo = SimulatorConfig.JumpDemo
        var config = SimulatorConfig.jumpDemo()
        // A plain topic on the jump named like a jump mirror: the preflight refuses the run after minting its key.
        config.topics.append(SimulatorConfig.Topic(cluster: Demo.jump, name: "orders", partitions: 1))
        let (simulator, environment, playbook) = try await Self.demo(config)
        let state = NSTemporaryDirectory() + "jumpchain-refused-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: state) }
        var options = Rollout.Options(stateDirectory: state, environment: environment)
        let backend = options.backend
        let root = backend.runKey(playbook.runName)
        // A concurrent session of the run (as `status --inspect-jump`): its key, tagged with its nonce, is live, and
        // it takes its lease as soon as the apply has created the run.
        let nonce = "0123456789abcdef"
        let other = try RunSession.makeContext(
            playbook, runName: playbook.runName, options: options,
            claim: SessionClaim(nonce: nonce, isLive: { _ in false }))
        _ = try await other.jump()
        let otherKey = try #require(await other.sessionKeyIDs().first)
        let lease = Mutex<(any RunLease)?>(nil)
        options.onStart = { _, _ in
            lease.withLock { $0 = $0 ?? (try? backend.lockRun(root, site: SessionLease.site(nonce))) }
        }
        let refusal: JumpchainError
        do {
            let report = try await Rollout.apply(playbookPath: playbook.sourceFile, options: options)
            Issue.record("the preflight did not refuse the run: \(report.status)")
            refusal = JumpchainError(.internalError, "not refused")
        } catch {
            refusal = error
        }
        let held = lease.withLock { $0 }
        let live = Self.liveKeys(simulator, on: Demo.jump)
        held?.release()
        await other.close()
        other.credentials.wipe()
        let liveAtEnd = Self.liveKeys(simulator, on: Demo.jump)
        await simulator.stop()
        #expect(refusal.code == .preflightFailed, "\(refusal)")
        #expect(held != nil, "the concurrent session could not take its lease in the created run")
        // The apply's session key and link keys are revoked; the concurrent live session's key is not (a sweep
        // after the run was removed counted that session as dead).
        #expect(live == [otherKey], "live keys on the jump after the refused apply: \(live)")
        #expect(!FileManager.default.fileExists(atPath: root), "the refused run was left behind")
        #expect(liveAtEnd.isEmpty, "live keys on the jump at the end: \(liveAtEnd)")
    }

    /// The demo world, the environment of its playbook (fast key polls) and `playbooks/demo.yaml` loaded with it.
    static func demo(_ config: SimulatorConfig = .jumpDemo()) async throws -> (Simulator, [String: String], Playbook) {
        let simulator = try await Simulator.start(config, revealOperatorSecrets: true)
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "20"
        let playbookPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("playbooks/demo.yaml").path
        let (playbook, _) = try Rollout.loadPlaybook(playbookPath, environment: environment)
        return (simulator, environment, playbook)
    }

    static func liveKeys(_ simulator: Simulator, on cluster: String) -> [String] {
        let state = (try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8))) as? [String: Any]
        return ((state?["api_keys"] as? [[String: Any]]) ?? []).filter {
            ($0["resource"] as? String) == cluster && ($0["revoked"] as? Bool) != true
        }.compactMap { $0["id"] as? String }
    }
}
