import Foundation
import SeededRandom

/// The runner's bookkeeping for one invocation: who is ready, what is in flight, what to record.
///
/// Owned by the scheduling task alone (never shared), so it needs no locks. It produces ``Batch``es:
/// the transitions and events of one scheduling round, committed in one transaction before the round's
/// step tasks are started.
final class Scheduler {
    let plan: Plan
    let configuration: RunnerConfiguration
    let runName: String
    let outputBook: OutputBook
    var stopping = false

    private var states: [StepState]
    private var attempts: [Int]
    private var attemptsThisRun: [Int]
    private var remainingDependencies: [Int]
    private let dependents: [[Int]]
    /// Ready steps in the order they became ready; `readyHead` is the first not yet taken.
    private var ready: [Int] = []
    private var readyHead = 0
    /// Ready steps that were held back by a resource limit or are due for retry: tried first next round.
    private var heldBack: [Int] = []
    private var inFlight = 0
    /// Attempts in flight that hold their resource slots (counted against ``RunnerConfiguration/maxConcurrency``).
    private var occupied = 0
    /// Attempts in flight that gave their slots back while they wait (``StepContext/releaseResources()``).
    private var released: Set<Int> = []
    /// Released attempts waiting for their slots again, in the order they asked.
    private var reacquiring: [(position: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var retryWaiting = 0
    private var resourceUse: [String: Int] = [:]
    /// Attempts in flight per resource, released ones included (bounded by
    /// ``RunnerConfiguration/maxInFlightPerResource``).
    private var inFlightUse: [String: Int] = [:]
    private var failures: [String: String] = [:]
    private var failureOrder: [Int] = []
    private var interruptedOnStart: [String] = []
    private var attemptsStarted = 0
    private var pending = Batch()
    private var random: SeededGenerator

    init(plan: Plan, records: [String: StepRecord], configuration: RunnerConfiguration, runName: String) {
        self.plan = plan
        self.configuration = configuration
        self.runName = runName
        self.dependents = plan.dependentPositions
        self.random = SeededGenerator(seed: configuration.jitterSeed ?? UInt64.random(in: 0...UInt64.max))
        var outputs: [String: [String: String]] = [:]
        states = []
        attempts = []
        states.reserveCapacity(plan.steps.count)
        attempts.reserveCapacity(plan.steps.count)
        for step in plan.steps {
            let record = records[step.id]
            states.append(record?.state ?? .pending)
            attempts.append(record?.attempts ?? 0)
            if record?.state == .succeeded { outputs[step.id] = record?.outputs ?? [:] }
        }
        outputBook = OutputBook(outputs)
        attemptsThisRun = Array(repeating: 0, count: plan.steps.count)
        remainingDependencies = Array(repeating: 0, count: plan.steps.count)
    }

    var hasWorkInFlight: Bool { inFlight > 0 || retryWaiting > 0 }

    /// Only retry timers remain but no retry will start (stopping, or a step failed): wake them now.
    var hasOnlyPointlessTimers: Bool {
        inFlight == 0 && retryWaiting > 0 && (stopping || !failures.isEmpty)
    }

    /// Records interrupted and previously failed steps as pending again, and the run as started.
    func startUp() -> Batch {
        var batch = Batch()
        var done = 0
        for (position, step) in plan.steps.enumerated() {
            // Another site's step is its runner's: never reset or re-run here, whatever its state.
            guard configuration.runsHere(step) else {
                if states[position].isDone { done += 1 }
                continue
            }
            switch states[position] {
            case .running:
                states[position] = .pending
                interruptedOnStart.append(step.id)
                batch.transitions.append(.reset(step.id, error: "interrupted: the runner stopped mid-step"))
                batch.events.append(
                    WorkflowEvent(
                        kind: .stepInterrupted, stepID: step.id, attempt: attempts[position],
                        message: "interrupted step \(step.id) re-run (its effect is unknown)"))
            case .failed:
                states[position] = .pending
                batch.transitions.append(.reset(step.id, error: nil))
                batch.events.append(
                    WorkflowEvent(
                        kind: .stepRetrying, stepID: step.id, attempt: attempts[position],
                        message: "failed step \(step.id) re-run on resume"))
            case .succeeded, .skipped:
                done += 1
            case .pending:
                break
            }
        }
        for (position, step) in plan.steps.enumerated() {
            remainingDependencies[position] = step.dependsOn.reduce(0) { count, dependency in
                states[plan.index[dependency]!].isDone ? count : count + 1
            }
            if states[position] == .pending && remainingDependencies[position] == 0 && configuration.runsHere(step) {
                ready.append(position)
            }
        }
        let message =
            done == 0 ? "\(plan.steps.count) steps" : "resumed: \(done) of \(plan.steps.count) steps already done"
        batch.events.append(WorkflowEvent(kind: .runStarted, message: message))
        batch.status = .running
        return batch
    }

    /// Takes the transitions and events recorded by ``handle(_:)`` since the last round.
    func takeBatch() -> Batch {
        defer { pending = Batch() }
        return pending
    }

    /// Starts as many ready steps as the limits allow (none while stopping or after a failure), then gives the
    /// slots left to released attempts that asked for them back (attempts in flight always get theirs).
    ///
    /// Starting first keeps the pipeline full: a started step that releases its slot to wait (a mirror step
    /// waiting for a listing) gives it back at once, and the number of attempts in flight per resource bounds
    /// how many start. Were the waiting attempts served first, no step would start while any of them waited
    /// for a slot: steps would start in bursts of the in-flight bound, each waiting for its first listing
    /// while nothing acts.
    func launchReady() -> Batch {
        var batch = Batch()
        defer { grantReacquired() }
        guard !stopping && failures.isEmpty else { return batch }
        if !heldBack.isEmpty {
            let candidates = heldBack
            heldBack = []
            for position in candidates {
                if occupied >= configuration.maxConcurrency || !tryLaunch(position, into: &batch) {
                    heldBack.append(position)
                }
            }
        }
        while occupied < configuration.maxConcurrency && readyHead < ready.count {
            let position = ready[readyHead]
            readyHead += 1
            if !tryLaunch(position, into: &batch) {
                heldBack.append(position)
            }
        }
        if readyHead > 1024 && readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
        return batch
    }

    private func resourcesFree(for step: StepSpec) -> Bool {
        occupied < configuration.maxConcurrency
            && step.resources.allSatisfy { resourceUse[$0, default: 0] < configuration.limit(for: $0) }
    }

    private func take(_ step: StepSpec) {
        for resource in step.resources { resourceUse[resource, default: 0] += 1 }
        occupied += 1
    }

    private func giveBack(_ step: StepSpec) {
        for resource in step.resources { resourceUse[resource, default: 1] -= 1 }
        occupied -= 1
    }

    private func grantReacquired() {
        var waiting: [(position: Int, continuation: CheckedContinuation<Void, any Error>)] = []
        for waiter in reacquiring {
            let step = plan.steps[waiter.position]
            if resourcesFree(for: step) {
                take(step)
                released.remove(waiter.position)
                waiter.continuation.resume()
            } else {
                waiting.append(waiter)
            }
        }
        reacquiring = waiting
    }

    private func tryLaunch(_ position: Int, into batch: inout Batch) -> Bool {
        let step = plan.steps[position]
        guard resourcesFree(for: step),
            step.resources.allSatisfy({ inFlightUse[$0, default: 0] < configuration.maxInFlightPerResource })
        else { return false }
        take(step)
        for resource in step.resources { inFlightUse[resource, default: 0] += 1 }
        inFlight += 1
        attempts[position] += 1
        attemptsThisRun[position] += 1
        attemptsStarted += 1
        states[position] = .running
        let attempt = attempts[position]
        batch.transitions.append(.started(step.id, attempt: attempt, at: Date()))
        batch.events.append(WorkflowEvent(kind: .stepStarted, stepID: step.id, attempt: attempt))
        batch.spawns.append(
            .attempt(
                position: position, step: step, attempt: attempt,
                timeout: step.timeoutSeconds ?? configuration.defaultTimeoutSeconds))
        return true
    }

    /// Records how an attempt ended (or that a retry is due) and updates readiness.
    func handle(_ completion: Completion) {
        switch completion {
        case .retryDue(let position):
            retryWaiting -= 1
            if !stopping && failures.isEmpty { heldBack.insert(position, at: 0) }
        case .released(let position):
            if states[position] == .running, released.insert(position).inserted { giveBack(plan.steps[position]) }
        case .reacquire(let position, let continuation):
            if released.contains(position) {
                reacquiring.append((position, continuation))
            } else {
                continuation.resume()
            }
        case .abandonReacquire(let position):
            if let index = reacquiring.firstIndex(where: { $0.position == position }) {
                reacquiring.remove(at: index).continuation.resume(throwing: CancellationError())
            }
        case .finished(let position, let result):
            let step = plan.steps[position]
            inFlight -= 1
            for resource in step.resources { inFlightUse[resource, default: 1] -= 1 }
            if released.remove(position) == nil { giveBack(step) }
            let attempt = attempts[position]
            let now = Date()
            switch result {
            case .succeeded(let outputs):
                outputBook.record(outputs, for: step.id)
                pending.transitions.append(.succeeded(step.id, outputs: outputs, at: now))
                pending.events.append(WorkflowEvent(kind: .stepSucceeded, stepID: step.id, attempt: attempt))
                markDone(position, as: .succeeded)
            case .skipped(let reason):
                pending.transitions.append(.skipped(step.id, reason: reason, at: now))
                pending.events.append(
                    WorkflowEvent(kind: .stepSkipped, stepID: step.id, attempt: attempt, message: reason))
                markDone(position, as: .skipped)
            case .interrupted:
                states[position] = .pending
                pending.transitions.append(.reset(step.id, error: "interrupted by a stop"))
                pending.events.append(
                    WorkflowEvent(
                        kind: .stepInterrupted, stepID: step.id, attempt: attempt,
                        message: "stopped mid-step; \(step.id) will re-run on resume"))
            case .failed(let message, let retryable):
                let policy = step.retry ?? configuration.retryPolicy
                if retryable && attemptsThisRun[position] < policy.maxAttempts && !stopping && failures.isEmpty {
                    let delay = policy.delay(afterFailedAttempt: attemptsThisRun[position], using: &random)
                    states[position] = .pending
                    retryWaiting += 1
                    pending.transitions.append(.reset(step.id, error: message))
                    pending.events.append(
                        WorkflowEvent(
                            kind: .stepRetrying, stepID: step.id, attempt: attempt, message: message,
                            retryDelaySeconds: delay))
                    pending.spawns.append(.retryTimer(position: position, delaySeconds: delay))
                } else {
                    let why =
                        !retryable
                        ? "not retryable"
                        : "attempt budget of \(policy.maxAttempts) spent"
                    let fullMessage = "\(message) (\(why))"
                    states[position] = .failed
                    failures[step.id] = fullMessage
                    failureOrder.append(position)
                    pending.transitions.append(.failed(step.id, error: fullMessage, at: now))
                    pending.events.append(
                        WorkflowEvent(kind: .stepFailed, stepID: step.id, attempt: attempt, message: fullMessage))
                }
            }
        }
    }

    private func markDone(_ position: Int, as state: StepState) {
        states[position] = state
        for dependent in dependents[position] {
            remainingDependencies[dependent] -= 1
            if remainingDependencies[dependent] == 0 && states[dependent] == .pending
                && configuration.runsHere(plan.steps[dependent])
            {
                ready.append(dependent)
            }
        }
    }

    /// The closing batch (run status and final event) and the outcome.
    func finish() -> (Batch, RunOutcome) {
        var batch = takeBatch()
        let status: RunStatus
        var awaiting: [StepSpec] = []
        if !failures.isEmpty {
            status = .failed
        } else if stopping {
            status = .stopped
        } else if states.allSatisfy(\.isDone) {
            status = .succeeded
        } else if case let others = otherSitesSteps(), !others.isEmpty {
            // Every step left is another site's: the run goes on there, so it stays `running`.
            status = .running
            awaiting = others
        } else {
            status = .failed
        }
        batch.status = status
        if !awaiting.isEmpty {
            let names = awaiting.map { "site \($0.site ?? "?") to run step \($0.id)" }
            batch.events.append(
                WorkflowEvent(kind: .runStopped, message: "waiting for \(names.joined(separator: ", "))"))
        } else if status == .stopped {
            batch.events.append(WorkflowEvent(kind: .runStopped, message: "stopped on request; resume to finish"))
        } else {
            let done = states.filter(\.isDone).count
            batch.events.append(
                WorkflowEvent(
                    kind: .runFinished, message: "\(done) of \(states.count) steps done", status: status))
        }
        var outcome = RunOutcome(
            status: status, failedSteps: failures, interruptedOnStart: interruptedOnStart,
            attemptsStarted: attemptsStarted)
        outcome.awaiting = awaiting
        return (batch, outcome)
    }

    /// Another site's steps that are not done and whose dependencies are: the ones this run waits for.
    private func otherSitesSteps() -> [StepSpec] {
        plan.steps.enumerated().compactMap { position, step in
            !states[position].isDone && !configuration.runsHere(step) && remainingDependencies[position] == 0
                ? step : nil
        }
    }
}

/// The transitions and events of one scheduling round, and the tasks to start once they are durable.
struct Batch {
    var transitions: [StepTransition] = []
    var events: [WorkflowEvent] = []
    var status: RunStatus?
    var spawns: [Spawn] = []

    mutating func merge(_ other: Batch) {
        transitions += other.transitions
        events += other.events
        spawns += other.spawns
        if let status = other.status { self.status = status }
    }
}
