/// What the domain layer implements: how to execute a step of a given kind.
///
/// Steps are written observe-then-act: a step may be re-run after a crash (its effect was unknown),
/// so it first checks whether its effect already exists and acts only if it does not.
public protocol StepExecutor: Sendable {
    /// Executes one attempt of `step` and returns its small, non-secret outputs.
    ///
    /// Throw ``StepFailure`` (or any ``RetryClassifying`` error) to classify a failure, ``StepSkipped``
    /// to record that there was nothing to do. `Task.checkCancellation()` works: the runner cancels the
    /// attempt on timeout or stop.
    func execute(_ step: StepSpec, context: StepContext) async throws -> [String: String]

    /// Re-derives in-memory material `name` that `step` requires but that is missing (after a restart).
    ///
    /// The default implementation throws ``WorkflowError/Code/ephemeralMissing``.
    func recoverEphemeral(_ name: String, for step: StepSpec, context: StepContext) async throws -> any Sendable
}

extension StepExecutor {
    public func recoverEphemeral(
        _ name: String, for step: StepSpec, context: StepContext
    ) async throws
        -> any Sendable
    {
        throw WorkflowError(
            code: .ephemeralMissing,
            message:
                "step '\(step.id)' needs in-memory material '\(name)', which is missing (lost in a restart?) "
                + "and the executor cannot re-derive it")
    }
}
