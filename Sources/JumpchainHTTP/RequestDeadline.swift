/// A deadline for everything a task sends: each attempt's timeout is cut to what is left, and no retry is
/// started (or waited for) past it. Set it around a whole command (`verify --timeout 10`), so a blackholed
/// cluster cannot stretch the command to attempts × per-attempt timeout.
///
/// It is a task-local value, so child tasks and unstructured `Task {}` inherit it; clean-up that must run
/// after the deadline (revoking a session key) clears it with `RequestDeadline.$current.withValue(nil)`.
public enum RequestDeadline {
    @TaskLocal public static var current: ContinuousClock.Instant?

    /// What is left of the deadline (nil: no deadline); zero or negative once it has passed.
    public static var remaining: Duration? {
        current.map { $0 - ContinuousClock.now }
    }

    /// Runs `body` with a deadline `duration` from now (or the enclosing deadline, if that is earlier).
    public static func within<T>(
        _ duration: Duration, _ body: () async throws -> T
    ) async rethrows -> T {
        var deadline = ContinuousClock.now + duration
        if let outer = current, outer < deadline { deadline = outer }
        return try await $current.withValue(deadline) { try await body() }
    }
}
