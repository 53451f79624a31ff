extension WorkflowEvent {
    /// An `AsyncStream` of events plus the observer closure that feeds it (pass it to ``Runner``) and a
    /// `finish` closure to end the stream once the run returns. For CLIs that prefer `for await`.
    public static func makeStream() -> (
        stream: AsyncStream<WorkflowEvent>, observer: @Sendable (WorkflowEvent) -> Void, finish: @Sendable () -> Void
    ) {
        let (stream, continuation) = AsyncStream<WorkflowEvent>.makeStream()
        return (stream, { continuation.yield($0) }, { continuation.finish() })
    }
}
