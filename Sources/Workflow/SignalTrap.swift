import SignalPipe

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns SIGINT/SIGTERM into a call to `onSignal` (the runner cancels its task and records a stop) for as
/// long as the trap is installed; the default dispositions are restored by ``uninstall()``.
final class SignalTrap: Sendable {
    private let pipe: SignalPipe

    init(onSignal: @escaping @Sendable (Int32) -> Void) {
        pipe = SignalPipe(signals: [SIGINT, SIGTERM], onSignal: onSignal)
    }

    func uninstall() {
        pipe.uninstall()
    }
}
