/// Time as verification sees it: injectable so tests run polling loops without waiting.
public protocol VerificationClock: Sendable {
    /// Monotonic time since an arbitrary origin.
    func now() -> Duration
    func sleep(for duration: Duration) async throws
}

/// The real clock (`ContinuousClock`).
public struct ContinuousVerificationClock: VerificationClock {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant

    public init() { start = clock.now }

    public func now() -> Duration { start.duration(to: clock.now) }

    public func sleep(for duration: Duration) async throws { try await clock.sleep(for: duration) }
}

extension Duration {
    /// Whole milliseconds, for reports and JSON.
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
