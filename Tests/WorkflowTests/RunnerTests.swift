import Foundation
import SeededRandom
import Testing

@testable import Workflow

@Suite struct RunnerTests {
    @Test func dependenciesFinishBeforeDependentsStart() async throws {
        let directory = TemporaryDirectory("order")
        defer { directory.cleanUp() }
        var generator = SeededGenerator(seed: 7)
        var steps: [StepSpec] = []
        for index in 0..<60 {
            let dependencies =
                index == 0
                ? []
                : (0..<Int(generator.next() % 3)).map { _ in
                    "s\(Int(generator.next() % UInt64(index)))"
                }
            steps.append(StepSpec(id: "s\(index)", kind: "k", dependsOn: Array(Set(dependencies)).sorted()))
        }
        let log = Locked<[String]>([])
        let runner = try makeRunner(steps, in: directory.path, configuration: RunnerConfiguration(maxConcurrency: 4))
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, _ in
                log.withLock { $0.append("start \(step.id)") }
                try await Task.sleep(nanoseconds: UInt64(generator2(step.id)) * 100_000)
                log.withLock { $0.append("end \(step.id)") }
                return [:]
            })
        #expect(outcome.status == .succeeded)
        let entries = log.current
        for step in steps {
            let start = try #require(entries.firstIndex(of: "start \(step.id)"))
            for dependency in step.dependsOn {
                let end = try #require(entries.firstIndex(of: "end \(dependency)"))
                #expect(end < start, "\(dependency) must end before \(step.id) starts")
            }
        }
        #expect(try runner.store.stepStates().values.allSatisfy { $0 == .succeeded })
        #expect(try runner.store.metadata().status == .succeeded)
    }

    @Test func outputsOfEarlierStepsAreVisible() async throws {
        let directory = TemporaryDirectory("outputs")
        defer { directory.cleanUp() }
        let steps = [
            StepSpec(id: "make", kind: "make"),
            StepSpec(id: "use", kind: "use", dependsOn: ["make"]),
        ]
        let runner = try makeRunner(steps, in: directory.path)
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, context in
                if step.kind == "make" { return ["id": "lkc-42"] }
                return ["seen": context.output("id", of: "make") ?? "missing"]
            })
        #expect(outcome.status == .succeeded)
        #expect(try runner.store.stepRecords()["use"]?.outputs == ["seen": "lkc-42"])
    }

    @Test func perResourceLimitsBoundInFlightSteps() async throws {
        let directory = TemporaryDirectory("limits")
        defer { directory.cleanUp() }
        let steps = (0..<40).map { index in
            StepSpec(id: "s\(index)", kind: "k", resources: index % 2 == 0 ? ["cluster:a"] : ["cluster:b"])
        }
        let inFlight = Locked<[String: Int]>([:])
        let peak = Locked<[String: Int]>([:])
        let configuration = RunnerConfiguration(
            maxConcurrency: 10, resourceLimits: ["cluster:a": 2], defaultResourceLimit: 3)
        let runner = try makeRunner(steps, in: directory.path, configuration: configuration)
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, _ in
                let resource = step.resources[0]
                let now = inFlight.withLock { counts -> Int in
                    counts[resource, default: 0] += 1
                    return counts[resource]!
                }
                peak.withLock { $0[resource] = max($0[resource] ?? 0, now) }
                try await Task.sleep(nanoseconds: 15_000_000)
                inFlight.withLock { $0[resource]! -= 1 }
                return [:]
            })
        #expect(outcome.status == .succeeded)
        #expect(peak.current == ["cluster:a": 2, "cluster:b": 3])
    }

    @Test func waitingStepsReleaseTheirSlotsAndTakeThemBackToAct() async throws {
        let directory = TemporaryDirectory("release")
        defer { directory.cleanUp() }
        let count = 12
        let steps = (0..<count).map { StepSpec(id: "s\($0)", kind: "k", resources: ["cluster:a"]) }
        let acting = Locked(0)
        let peakActing = Locked(0)
        let waiting = Locked(0)
        let peakWaiting = Locked(0)
        let configuration = RunnerConfiguration(maxConcurrency: 2, resourceLimits: ["cluster:a": 2])
        let runner = try makeRunner(steps, in: directory.path, configuration: configuration)
        @Sendable func act() async throws {
            let now = acting.withLock { value -> Int in
                value += 1
                return value
            }
            peakActing.withLock { $0 = max($0, now) }
            try await Task.sleep(nanoseconds: 2_000_000)
            acting.withLock { $0 -= 1 }
        }
        let outcome = try await runner.run(
            executor: ClosureExecutor { _, context in
                try await act()
                context.releaseResources()
                context.releaseResources()  // a second release while released changes nothing
                let now = waiting.withLock { value -> Int in
                    value += 1
                    return value
                }
                peakWaiting.withLock { $0 = max($0, now) }
                // Every step waits here until all of them do: only possible if waiting frees the slot.
                // (Hang guard, not a speed figure: 30 s.)
                let deadline = Date().addingTimeInterval(30)
                while peakWaiting.current < count && Date() < deadline {
                    try await Task.sleep(nanoseconds: 2_000_000)
                }
                waiting.withLock { $0 -= 1 }
                try await context.reacquireResources()
                try await act()
                return [:]
            })
        #expect(outcome.status == .succeeded)
        #expect(peakWaiting.current == count)
        #expect(peakActing.current <= 2)
    }

    @Test func readyStepsStartWhileReleasedAttemptsWaitToTakeTheirSlotBack() async throws {
        let directory = TemporaryDirectory("launch-first")
        defer { directory.cleanUp() }
        // One slot. Each step releases it at once, takes it back, and holds it until every step has started:
        // possible only if a ready step gets the free slot before an attempt waiting to take its slot back.
        let count = 4
        let steps = (0..<count).map { StepSpec(id: "s\($0)", kind: "k", resources: ["cluster:a"]) }
        let started = Locked(0)
        let configuration = RunnerConfiguration(maxConcurrency: 1, resourceLimits: ["cluster:a": 1])
        let runner = try makeRunner(steps, in: directory.path, configuration: configuration)
        let outcome = try await runner.run(
            executor: ClosureExecutor { _, context in
                started.withLock { $0 += 1 }
                context.releaseResources()
                try await context.reacquireResources()
                // Hang guard, not a speed figure: 30 s.
                let deadline = Date().addingTimeInterval(30)
                while started.current < count && Date() < deadline {
                    try await Task.sleep(nanoseconds: 2_000_000)
                }
                return ["saw_all_started": String(started.current == count)]
            })
        #expect(outcome.status == .succeeded)
        let records = try runner.store.stepRecords()
        #expect(steps.allSatisfy { records[$0.id]?.outputs["saw_all_started"] == "true" })
    }

    @Test func attemptsInFlightPerResourceAreBoundedEvenWhenTheyReleaseTheirSlots() async throws {
        let directory = TemporaryDirectory("inflight")
        defer { directory.cleanUp() }
        // 30 waiting steps on cluster:a, 30 on cluster:b: at most 5 attempts of each in flight, though waiting
        // frees their slots; a step of b is not held back by a's bound.
        let steps = (0..<60).map { StepSpec(id: "s\($0)", kind: "k", resources: [$0 < 30 ? "cluster:a" : "cluster:b"]) }
        let inFlight = Locked<[String: Int]>([:])
        let peak = Locked<[String: Int]>([:])
        let configuration = RunnerConfiguration(
            maxConcurrency: 2, resourceLimits: ["cluster:a": 1, "cluster:b": 1], maxInFlightPerResource: 5)
        let runner = try makeRunner(steps, in: directory.path, configuration: configuration)
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, context in
                let resource = step.resources[0]
                let now = inFlight.withLock { counts -> Int in
                    counts[resource, default: 0] += 1
                    return counts[resource]!
                }
                peak.withLock { $0[resource] = max($0[resource] ?? 0, now) }
                context.releaseResources()
                // Each waits until its resource's bound is reached (hang guard, not a speed figure: 30 s).
                let deadline = Date().addingTimeInterval(30)
                while (peak.current[resource] ?? 0) < 5 && Date() < deadline {
                    try await Task.sleep(nanoseconds: 2_000_000)
                }
                inFlight.withLock { $0[resource]! -= 1 }
                return [:]
            })
        #expect(outcome.status == .succeeded)
        #expect(peak.current == ["cluster:a": 5, "cluster:b": 5])
    }

    @Test func retryableFailuresAreRetriedWithBackoff() async throws {
        let directory = TemporaryDirectory("retry")
        defer { directory.cleanUp() }
        let events = Locked<[WorkflowEvent]>([])
        let policy = RetryPolicy(maxAttempts: 3, baseDelaySeconds: 0.01, maxDelaySeconds: 0.02)
        let runner = try makeRunner(
            [StepSpec(id: "flaky", kind: "k")], in: directory.path,
            configuration: RunnerConfiguration(retryPolicy: policy, jitterSeed: 1), events: events)
        let outcome = try await runner.run(
            executor: ClosureExecutor { _, context in
                if context.attempt < 3 { throw StepFailure("HTTP 503", retryable: true) }
                return ["attempt": "\(context.attempt)"]
            })
        #expect(outcome.status == .succeeded)
        let record = try #require(try runner.store.stepRecords()["flaky"])
        #expect(record.attempts == 3)
        #expect(record.outputs == ["attempt": "3"])
        let retries = events.current.filter { $0.kind == .stepRetrying }
        #expect(retries.count == 2)
        #expect(retries.allSatisfy { $0.message == "HTTP 503" && ($0.retryDelaySeconds ?? -1) <= 0.02 })
        #expect(try runner.store.events().filter { $0.kind == .stepRetrying }.count == 2)
    }

    @Test func nonRetryableFailureStopsAtOnceAndLeavesDependentsPending() async throws {
        let directory = TemporaryDirectory("fatal")
        defer { directory.cleanUp() }
        struct Unclassified: Error {}
        let steps = [
            StepSpec(id: "bad", kind: "bad"),
            StepSpec(id: "after", kind: "ok", dependsOn: ["bad"]),
        ]
        let runner = try makeRunner(steps, in: directory.path)
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, _ in
                if step.kind == "bad" { throw Unclassified() }
                return [:]
            })
        #expect(outcome.status == .failed)
        #expect(outcome.failedSteps["bad"]?.contains("not retryable") == true)
        let records = try runner.store.stepRecords()
        #expect(records["bad"]?.state == .failed)
        #expect(records["bad"]?.attempts == 1)
        #expect(records["after"]?.state == .pending)
        #expect(try runner.store.metadata().status == .failed)
    }

    @Test func attemptBudgetIsEnforcedAndResumeRetriesFailedSteps() async throws {
        let directory = TemporaryDirectory("budget")
        defer { directory.cleanUp() }
        let policy = RetryPolicy(maxAttempts: 3, baseDelaySeconds: 0.001, maxDelaySeconds: 0.005)
        let configuration = RunnerConfiguration(retryPolicy: policy)
        do {
            let runner = try makeRunner(
                [StepSpec(id: "down", kind: "k")], in: directory.path, configuration: configuration)
            let outcome = try await runner.run(
                executor: ClosureExecutor { _, _ in throw StepFailure("connection refused", retryable: true) })
            #expect(outcome.status == .failed)
            #expect(outcome.failedSteps["down"] == "connection refused (attempt budget of 3 spent)")
            #expect(try runner.store.stepRecords()["down"]?.attempts == 3)
            runner.lock.release()
        }
        let runner = try makeRunner([], in: directory.path, configuration: configuration)
        let outcome = try await runner.run(executor: ClosureExecutor { _, _ in [:] })
        #expect(outcome.status == .succeeded)
        #expect(try runner.store.stepRecords()["down"]?.attempts == 4)
    }

    /// Each attempt sleeps for an hour unless the per-step timeout cancels it: a runner that did not cancel would
    /// hang (the time limit is a hang guard, not a speed figure), and both attempts are seen cancelled.
    @Test(.timeLimit(.minutes(2)))
    func perStepTimeoutCancelsTheAttempt() async throws {
        let directory = TemporaryDirectory("timeout")
        defer { directory.cleanUp() }
        let step = StepSpec(
            id: "slow", kind: "k", timeoutSeconds: 0.05,
            retry: RetryPolicy(maxAttempts: 2, baseDelaySeconds: 0.001, maxDelaySeconds: 0.001))
        let cancelled = Locked(0)
        let runner = try makeRunner([step], in: directory.path)
        let outcome = try await runner.run(
            executor: ClosureExecutor { _, _ in
                do {
                    try await Task.sleep(nanoseconds: 3_600_000_000_000)
                } catch {
                    cancelled.withLock { $0 += 1 }
                    throw error
                }
                return [:]
            })
        #expect(outcome.status == .failed)
        #expect(outcome.failedSteps["slow"] == "timed out after 0.05s (attempt budget of 2 spent)")
        #expect(cancelled.current == 2)
    }

    @Test func cancellationRecordsAStopAndResumeFinishes() async throws {
        let directory = TemporaryDirectory("stop")
        defer { directory.cleanUp() }
        let steps = (0..<10).map { StepSpec(id: "s\($0)", kind: "k") }
        let started = Locked(0)
        let runner = try makeRunner(steps, in: directory.path, configuration: RunnerConfiguration(maxConcurrency: 2))
        let task = Task {
            try await runner.run(
                executor: ClosureExecutor { _, _ in
                    started.withLock { $0 += 1 }
                    try await Task.sleep(nanoseconds: 30_000_000_000)
                    return [:]
                })
        }
        while started.current < 2 { try await Task.sleep(nanoseconds: 5_000_000) }
        task.cancel()
        let outcome = try await task.value
        #expect(outcome.status == .stopped)
        #expect(try runner.store.metadata().status == .stopped)
        let states = try runner.store.stepStates()
        #expect(states.values.allSatisfy { $0 == .pending })
        let kinds = try runner.store.events().map(\.kind)
        #expect(kinds.filter { $0 == .stepInterrupted }.count == 2)
        #expect(kinds.last == .runStopped)
        runner.lock.release()

        let resumed = try makeRunner([], in: directory.path)
        let final = try await resumed.run(executor: ClosureExecutor { _, _ in [:] })
        #expect(final.status == .succeeded)
        #expect(try resumed.store.stepStates().values.allSatisfy { $0 == .succeeded })
    }

    @Test func stepFoundRunningAtStartUpIsReRunWithAnEvent() async throws {
        let directory = TemporaryDirectory("interrupted")
        defer { directory.cleanUp() }
        let events = Locked<[WorkflowEvent]>([])
        do {
            let runner = try makeRunner([StepSpec(id: "a", kind: "k")], in: directory.path)
            // Simulate a crash after the "running" transition was recorded.
            try runner.store.commit([.started("a", attempt: 1, at: Date())], events: [])
            runner.lock.release()
        }
        let runner = try makeRunner([], in: directory.path, events: events)
        let attempt = Locked(0)
        let outcome = try await runner.run(
            executor: ClosureExecutor { _, context in
                attempt.withLock { $0 = context.attempt }
                return [:]
            })
        #expect(outcome.status == .succeeded)
        #expect(outcome.interruptedOnStart == ["a"])
        #expect(attempt.current == 2)
        let interrupted = try #require(events.current.first { $0.kind == .stepInterrupted })
        #expect(interrupted.message?.contains("interrupted step a re-run") == true)
    }

    @Test func missingEphemeralMaterialIsRecoveredAfterARestart() async throws {
        let directory = TemporaryDirectory("ephemeral")
        defer { directory.cleanUp() }
        let steps = [
            StepSpec(id: "mint", kind: "mint"),
            StepSpec(id: "use", kind: "use", dependsOn: ["mint"], requiresEphemeral: ["link-secret"]),
        ]
        let recoveries = Locked<[String]>([])
        let failUse = Locked(true)
        let executor = ClosureExecutor(
            recover: { name, step in
                recoveries.withLock { $0.append("\(name) for \(step.id)") }
                return "re-minted"
            },
            { step, context in
                switch step.kind {
                case "mint":
                    context.ephemeral.set("link-secret", "minted")
                    return [:]
                default:
                    if failUse.current { throw StepFailure("crash stand-in", retryable: false) }
                    return ["secret-source": context.ephemeral.value("link-secret") as? String ?? "none"]
                }
            })
        do {
            let runner = try makeRunner(steps, in: directory.path)
            #expect(try await runner.run(executor: executor).status == .failed)
            #expect(recoveries.current.isEmpty)
            runner.lock.release()
        }
        failUse.withLock { $0 = false }
        let events = Locked<[WorkflowEvent]>([])
        let runner = try makeRunner([], in: directory.path, ephemeral: EphemeralStore(), events: events)
        #expect(try await runner.run(executor: executor).status == .succeeded)
        #expect(recoveries.current == ["link-secret for use"])
        #expect(try runner.store.stepRecords()["use"]?.outputs == ["secret-source": "re-minted"])
        #expect(events.current.contains { $0.kind == .ephemeralRecovered && $0.stepID == "use" })
    }

    @Test func stepsEmitWaitingAndProgressEvents() async throws {
        let directory = TemporaryDirectory("waiting")
        defer { directory.cleanUp() }
        let events = Locked<[WorkflowEvent]>([])
        let runner = try makeRunner([StepSpec(id: "w", kind: "k")], in: directory.path, events: events)
        _ = try await runner.run(
            executor: ClosureExecutor { _, context in
                context.waiting(for: "mirror topic orders to become ACTIVE")
                context.progress("3 of 4 topics mirrored")
                return [:]
            })
        let waiting = try #require(events.current.first { $0.kind == .stepWaiting })
        #expect(waiting.message == "mirror topic orders to become ACTIVE")
        #expect(events.current.contains { $0.kind == .stepProgress && $0.message == "3 of 4 topics mirrored" })
        #expect(try runner.store.events().contains { $0.kind == .stepWaiting })
    }

    @Test func skippedStepsCountAsDone() async throws {
        let directory = TemporaryDirectory("skip")
        defer { directory.cleanUp() }
        let steps = [StepSpec(id: "a", kind: "skip"), StepSpec(id: "b", kind: "k", dependsOn: ["a"])]
        let runner = try makeRunner(steps, in: directory.path)
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, _ in
                if step.kind == "skip" { throw StepSkipped(reason: "already exists") }
                return [:]
            })
        #expect(outcome.status == .succeeded)
        #expect(try runner.store.stepStates() == ["a": .skipped, "b": .succeeded])
    }

    /// A permanent failure ends the run at once, without waiting for another step's pending retry: the retry
    /// is an hour away, so a runner that waited would hang (the time limit is a hang guard, not a speed figure).
    @Test(.timeLimit(.minutes(2)))
    func pendingRetriesDoNotDelayAFailedRun() async throws {
        let directory = TemporaryDirectory("idle-timers")
        defer { directory.cleanUp() }
        let steps = [
            StepSpec(id: "fatal", kind: "fatal"),
            StepSpec(
                id: "flaky", kind: "flaky",
                retry: RetryPolicy(maxAttempts: 5, baseDelaySeconds: 3600, maxDelaySeconds: 3600)),
        ]
        let runner = try makeRunner(steps, in: directory.path, configuration: RunnerConfiguration(jitterSeed: 2))
        let flakyAttempts = Locked(0)
        let outcome = try await runner.run(
            executor: ClosureExecutor { step, _ in
                if step.kind == "fatal" {
                    // Fails only once the flaky step has failed, so its retry is pending when the run fails.
                    while flakyAttempts.current == 0 { try await Task.sleep(nanoseconds: 1_000_000) }
                    throw StepFailure("quota exceeded", retryable: false)
                }
                flakyAttempts.withLock { $0 += 1 }
                throw StepFailure("HTTP 503", retryable: true)
            })
        #expect(outcome.status == .failed)
        #expect(flakyAttempts.current == 1, "the pending retry ran before the failed run returned")
        #expect(try runner.store.stepStates() == ["fatal": .failed, "flaky": .pending])
    }

    /// The hook that gives back what a run held (jumpchain revokes its session key there) runs after the last step
    /// and before the run is recorded as succeeded, so a kill inside it leaves the run to a resume; a failed run
    /// does not call it.
    @Test func beforeSuccessRunsBeforeTheRunIsRecordedAsSucceeded() async throws {
        let directory = TemporaryDirectory("before-success")
        defer { directory.cleanUp() }
        let steps = [StepSpec(id: "a", kind: "k"), StepSpec(id: "b", kind: "k", dependsOn: ["a"])]
        let current = Locked<Runner?>(nil)
        let seen = Locked<[RunStatus]>([])
        var configuration = RunnerConfiguration()
        configuration.beforeSuccess = {
            guard let runner = current.current else { return nil }
            let status = (try? runner.store.metadata().status) ?? .failed
            seen.withLock { $0.append(status) }
            #expect((try? runner.store.stepStates()) == ["a": .succeeded, "b": .succeeded])
            return nil
        }
        let runner = try makeRunner(steps, in: directory.path, configuration: configuration)
        current.withLock { $0 = runner }
        let outcome = try await runner.run(executor: ClosureExecutor { _, _ in [:] })
        #expect(outcome.status == .succeeded)
        #expect(seen.current == [.running], "the hook ran after the run was recorded as \(seen.current)")
        #expect(try runner.store.metadata().status == .succeeded)

        let failing = TemporaryDirectory("before-success-failed")
        defer { failing.cleanUp() }
        let failed = try makeRunner(steps, in: failing.path, configuration: configuration)
        current.withLock { $0 = failed }
        let failure = try await failed.run(
            executor: ClosureExecutor { _, _ in throw StepFailure("quota exceeded", retryable: false) })
        #expect(failure.status == .failed)
        #expect(seen.current == [.running], "a failed run called the hook")
    }

    /// A hook that could not give back what the run held (a credential still live) keeps the run from succeeding:
    /// it is recorded failed with the hook's reason, and the next run (every step done) calls the hook again.
    @Test func aRunWhoseBeforeSuccessFailsIsNotRecordedAsSucceeded() async throws {
        let directory = TemporaryDirectory("before-success-refused")
        defer { directory.cleanUp() }
        let steps = [StepSpec(id: "a", kind: "k")]
        let refusals = Locked(1)
        let calls = Locked(0)
        var configuration = RunnerConfiguration()
        configuration.beforeSuccess = {
            calls.withLock { $0 += 1 }
            return refusals.withLock { left in
                defer { left -= 1 }
                return left > 0 ? "key k-1 is still live" : nil
            }
        }
        let runner = try makeRunner(steps, in: directory.path, configuration: configuration)
        let refused = try await runner.run(executor: ClosureExecutor { _, _ in [:] })
        #expect(refused.status == .failed)
        #expect(refused.unfinished == "key k-1 is still live")
        #expect(try runner.store.metadata().status == .failed)
        #expect(try runner.store.events().last?.message == "key k-1 is still live")
        let resumed = try await runner.run(executor: ClosureExecutor { _, _ in [:] })
        #expect(resumed.status == .succeeded)
        #expect(resumed.unfinished == nil)
        #expect(calls.current == 2)
        #expect(try runner.store.metadata().status == .succeeded)
    }

    @Test func fullJitterStaysUnderTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelaySeconds: 0.5, maxDelaySeconds: 4)
        #expect(policy.ceiling(afterFailedAttempt: 1) == 0.5)
        #expect(policy.ceiling(afterFailedAttempt: 3) == 2)
        #expect(policy.ceiling(afterFailedAttempt: 9) == 4)
        var generator = SeededGenerator(seed: 3)
        for attempt in 1...9 {
            let delay = policy.delay(afterFailedAttempt: attempt, using: &generator)
            #expect(delay >= 0 && delay <= policy.ceiling(afterFailedAttempt: attempt))
        }
    }
}

/// A cheap deterministic per-step duration (0–9 tenths of a millisecond).
private func generator2(_ id: String) -> Int {
    id.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 10 }
}
