import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns SIGINT/SIGTERM into a call to `onSignal` (the runner cancels its task and records a stop) for as
/// long as the trap is installed; the default dispositions are restored by ``uninstall()``.
final class SignalTrap: @unchecked Sendable {
    // Invariant: `sources` is written once in init and only read afterwards (DispatchSource is thread-safe).
    private let sources: [any DispatchSourceSignal]
    private static let signals: [Int32] = [SIGINT, SIGTERM]

    init(onSignal: @escaping @Sendable (Int32) -> Void) {
        var sources: [any DispatchSourceSignal] = []
        for number in Self.signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { onSignal(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    func uninstall() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }
}
