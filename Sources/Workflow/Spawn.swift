import Foundation

/// A task the scheduler starts once the round's transitions are committed.
enum Spawn: Sendable {
    /// One attempt of a step.
    case attempt(position: Int, step: StepSpec, attempt: Int, timeout: Double?)
    /// Sleeps for a retry backoff, then tells the scheduler the step is ready again.
    case retryTimer(position: Int, delaySeconds: Double)

    func start(in group: inout DiscardingTaskGroup, executor: some StepExecutor, context: LaunchContext) {
        switch self {
        case .attempt(let position, let step, let attempt, let timeout):
            group.addTask {
                let result = await StepAttempt.run(
                    position: position, step: step, attempt: attempt, timeout: timeout, executor: executor,
                    context: context)
                context.inbox.post(.finished(position: position, result: result))
            }
        case .retryTimer(let position, let delaySeconds):
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(max(0, delaySeconds) * 1e9))
                context.inbox.post(.retryDue(position: position))
            }
        }
    }
}

/// Executes one attempt: recovers missing ephemeral material, applies the timeout, classifies the result.
enum StepAttempt {
    struct TimedOut: Error {}

    static func run(
        position: Int, step: StepSpec, attempt: Int, timeout: Double?, executor: some StepExecutor,
        context: LaunchContext
    ) async -> AttemptResult {
        let inbox = context.inbox
        let slots = ResourceSlots(
            release: { inbox.post(.released(position: position)) },
            reacquire: {
                try Task.checkCancellation()
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        inbox.post(.reacquire(position: position, continuation: continuation))
                    }
                } onCancel: {
                    inbox.post(.abandonReacquire(position: position))
                }
            })
        let stepContext = StepContext(
            stepID: step.id, attempt: attempt, runName: context.runName, ephemeral: context.ephemeral,
            outputBook: context.outputBook, emitter: { context.emit($0) }, slots: slots)
        do {
            let outputs = try await withTimeout(timeout) {
                for name in step.requiresEphemeral where !context.ephemeral.contains(name) {
                    let value = try await executor.recoverEphemeral(name, for: step, context: stepContext)
                    context.ephemeral.set(name, value)
                    context.emit(
                        WorkflowEvent(
                            kind: .ephemeralRecovered, stepID: step.id, attempt: attempt,
                            message: "re-derived missing in-memory material '\(name)'"))
                }
                try Task.checkCancellation()
                return try await executor.execute(step, context: stepContext)
            }
            return .succeeded(outputs)
        } catch let skip as StepSkipped {
            return .skipped(skip.reason)
        } catch is TimedOut {
            if Task.isCancelled { return .interrupted }
            return .failed(message: "timed out after \(format(timeout ?? 0))s", retryable: true)
        } catch {
            if Task.isCancelled { return .interrupted }
            let retryable = (error as? any RetryClassifying)?.isRetryable ?? false
            return .failed(message: String(describing: error), retryable: retryable)
        }
    }

    /// Runs `body`, cancelling it and throwing ``TimedOut`` if it outlives `seconds`.
    static func withTimeout<T: Sendable>(
        _ seconds: Double?, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let seconds else { return try await body() }
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
                throw TimedOut()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private static func format(_ seconds: Double) -> String {
        String(format: "%g", seconds)
    }
}
