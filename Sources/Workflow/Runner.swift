import Foundation
import Synchronization

/// Runs a run's recorded plan to completion: ready steps in plan order under the concurrency limits,
/// every transition committed to the ``RunStateStore`` before anything acts on it.
///
/// On start-up a step found `running` was interrupted (crash, kill -9, power loss): its effect is unknown,
/// so it is recorded as interrupted and re-run (steps are written observe-then-act). Failed steps of an
/// earlier invocation are re-run too, with a fresh attempt budget. After a permanent failure no new step
/// starts; steps in flight finish and are recorded. Cancelling the calling task (or SIGINT/SIGTERM with
/// ``RunnerConfiguration/handleSignals``) cancels steps in flight and records an orderly, resumable stop.
public final class Runner: Sendable {
    /// The run's store.
    public let store: any RunStateStore
    /// The lock proving this runner is the run's only writer.
    public let lock: any RunLease
    /// Scheduling configuration.
    public let configuration: RunnerConfiguration
    /// In-memory material shared by steps (empty after a restart).
    public let ephemeral: EphemeralStore
    private let observer: (@Sendable (WorkflowEvent) -> Void)?

    /// Creates a runner for the run in `store`, whose `lock` the caller holds.
    ///
    /// `observer` receives every event after it is durably recorded; it may be called from several
    /// threads (step progress/waiting events come from the steps' tasks) and must be thread-safe.
    public init(
        store: any RunStateStore, lock: any RunLease, configuration: RunnerConfiguration = RunnerConfiguration(),
        ephemeral: EphemeralStore = EphemeralStore(), observer: (@Sendable (WorkflowEvent) -> Void)? = nil
    ) {
        self.store = store
        self.lock = lock
        self.configuration = configuration
        self.ephemeral = ephemeral
        self.observer = observer
    }

    /// Runs (or resumes) the run until every step is done, a step fails permanently, or it is stopped.
    ///
    /// Throws only for store failures; step failures and stops are reported in the ``RunOutcome``.
    public func run(executor: some StepExecutor) async throws(WorkflowError) -> RunOutcome {
        // The trap is installed before the run starts, so a signal that arrives at any moment after `run` was
        // called stops the run in order; one that arrives before the task exists cancels it as it is created.
        let stop = Mutex<(signalled: Bool, task: Task<RunOutcome, any Error>?)>((false, nil))
        let trap =
            configuration.handleSignals
            ? SignalTrap { _ in
                let task = stop.withLock { state in
                    state.signalled = true
                    return state.task
                }
                task?.cancel()
            } : nil
        defer { trap?.uninstall() }
        let task = Task { () throws(WorkflowError) -> RunOutcome in
            try await self.schedule(executor: executor)
        }
        if stop.withLock({ state in
            state.task = task
            return state.signalled
        }) {
            task.cancel()
        }
        let result = await withTaskCancellationHandler {
            await task.result
        } onCancel: {
            task.cancel()
        }
        switch result {
        case .success(let outcome): return outcome
        case .failure(let error):
            throw (error as? WorkflowError)
                ?? WorkflowError(code: .storeFailure, message: "run '\(store.runName)' failed: \(error)")
        }
    }

    private func schedule(executor: some StepExecutor) async throws(WorkflowError) -> RunOutcome {
        let plan = try store.plan()
        let records = try store.stepRecords()
        let scheduler = Scheduler(
            plan: plan, records: records, configuration: configuration, runName: store.runName)
        try commit(scheduler.startUp())

        let inbox = Inbox<Completion>()
        let context = LaunchContext(
            store: store, runName: store.runName, ephemeral: ephemeral, outputBook: scheduler.outputBook,
            observer: observer, inbox: inbox)
        var storeError: WorkflowError?

        // Discarding: a finished step task is released at once. A plain task group keeps every finished child
        // (with its async frames) until its result is awaited, which this loop never does: a rollout of 5,000
        // topics held 10,000 finished step tasks, most of `apply`'s memory.
        await withDiscardingTaskGroup { group in
            while true {
                if Task.isCancelled { scheduler.stopping = true }
                var batch = scheduler.takeBatch()
                batch.merge(scheduler.launchReady())
                do throws(WorkflowError) {
                    try commit(batch)
                } catch {
                    // The store refused a write: stop everything, the caller gets the error.
                    // Steps of this batch never start; those in flight are cancelled and awaited.
                    storeError = error
                    group.cancelAll()
                    break
                }
                for spawn in batch.spawns {
                    spawn.start(in: &group, executor: executor, context: context)
                }
                guard scheduler.hasWorkInFlight else { break }
                if scheduler.hasOnlyPointlessTimers { group.cancelAll() }
                for completion in await inbox.drain() {
                    scheduler.handle(completion)
                }
            }
        }
        if let storeError { throw storeError }
        var (finalBatch, outcome) = scheduler.finish()
        if outcome.status == .succeeded, let beforeSuccess = configuration.beforeSuccess,
            let reason = await beforeSuccess()
        {
            finalBatch.status = .failed
            finalBatch.events.removeAll { $0.kind == .runFinished }
            finalBatch.events.append(WorkflowEvent(kind: .runFinished, message: reason, status: .failed))
            outcome.status = .failed
            outcome.unfinished = reason
        }
        try commit(finalBatch)
        return outcome
    }

    private func commit(_ batch: Batch) throws(WorkflowError) {
        let stored = try store.commit(batch.transitions, events: batch.events, status: batch.status)
        if let observer {
            for event in stored { observer(event) }
        }
    }
}

/// Everything a launched step task needs, all Sendable.
struct LaunchContext: Sendable {
    let store: any RunStateStore
    let runName: String
    let ephemeral: EphemeralStore
    let outputBook: OutputBook
    let observer: (@Sendable (WorkflowEvent) -> Void)?
    let inbox: Inbox<Completion>

    /// Records and forwards an event emitted by a running step (waiting, progress, recovery).
    func emit(_ event: WorkflowEvent) {
        let stored = (try? store.commit([], events: [event])) ?? [event]
        if let observer {
            for event in stored { observer(event) }
        }
    }
}

/// A message from a step task to the scheduler.
enum Completion: Sendable {
    case finished(position: Int, result: AttemptResult)
    case retryDue(position: Int)
    /// The step gives back its resource slots while it only waits (see ``StepContext/releaseResources()``).
    case released(position: Int)
    /// The step wants its slots back before it acts again; resumed once they are free.
    case reacquire(position: Int, continuation: CheckedContinuation<Void, any Error>)
    /// The step stopped waiting for its slots (cancelled): its pending ``reacquire`` is dropped.
    case abandonReacquire(position: Int)
}

/// How one attempt ended.
enum AttemptResult: Sendable {
    case succeeded([String: String])
    case skipped(String)
    case failed(message: String, retryable: Bool)
    /// Cut short by a stop; the effect is unknown and the step will re-run.
    case interrupted
}
