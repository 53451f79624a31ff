/// What a running step can see and do besides its own spec.
public struct StepContext: Sendable {
    /// The step being executed.
    public let stepID: String
    /// The attempt number (1-based, counted across runner invocations).
    public let attempt: Int
    /// The run's name.
    public let runName: String
    /// In-memory material shared between steps; never persisted.
    public let ephemeral: EphemeralStore

    let outputBook: OutputBook
    let emitter: @Sendable (WorkflowEvent) -> Void
    let slots: ResourceSlots?

    init(
        stepID: String, attempt: Int, runName: String, ephemeral: EphemeralStore, outputBook: OutputBook,
        emitter: @escaping @Sendable (WorkflowEvent) -> Void, slots: ResourceSlots? = nil
    ) {
        self.stepID = stepID
        self.attempt = attempt
        self.runName = runName
        self.ephemeral = ephemeral
        self.outputBook = outputBook
        self.emitter = emitter
        self.slots = slots
    }

    /// Gives back this attempt's resource slots (``StepSpec/resources``, and its place under
    /// ``RunnerConfiguration/maxConcurrency``) while it only waits or observes, so other steps can act
    /// meanwhile. ``reacquireResources()`` takes them back before the step acts again; an attempt that ends
    /// while released ends normally. Calling it again while released does nothing.
    public func releaseResources() {
        slots?.release()
    }

    /// Waits until this attempt holds its resource slots again (after ``releaseResources()``; at once if it
    /// holds them). Throws `CancellationError` if the attempt is cancelled meanwhile.
    public func reacquireResources() async throws {
        try await slots?.reacquire()
    }

    /// The outputs of an already-succeeded step (any step's, by id), or `nil` if it has not succeeded.
    public func outputs(of stepID: String) -> [String: String]? {
        outputBook.outputs(of: stepID)
    }

    /// One output value of an already-succeeded step.
    public func output(_ key: String, of stepID: String) -> String? {
        outputBook.outputs(of: stepID)?[key]
    }

    /// Reports that the step is waiting on a condition (e.g. "mirror topic orders to become ACTIVE").
    public func waiting(for condition: String) {
        emitter(WorkflowEvent(kind: .stepWaiting, stepID: stepID, attempt: attempt, message: condition))
    }

    /// Reports progress (e.g. "12 of 40 topics mirrored").
    public func progress(_ message: String) {
        emitter(WorkflowEvent(kind: .stepProgress, stepID: stepID, attempt: attempt, message: message))
    }

    /// Throws `CancellationError` if the attempt was cancelled (timeout or stop).
    public func checkCancellation() throws {
        try Task.checkCancellation()
    }
}

/// How a running attempt gives back and takes back its resource slots (messages to the scheduler).
struct ResourceSlots: Sendable {
    let release: @Sendable () -> Void
    let reacquire: @Sendable () async throws -> Void
}
