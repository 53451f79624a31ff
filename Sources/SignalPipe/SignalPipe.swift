import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Delivers SIGINT/SIGTERM (or any signals) to Swift code through a classic self-pipe: a C handler writes the
/// signal number to a pipe and a dedicated thread reads it and calls back.
///
/// Why not `DispatchSource.makeSignalSource`: on Linux libdispatch reads signals through `signalfd`, which
/// only sees a signal that every thread blocks. With the disposition set to ignore (as that pattern requires),
/// a signal aimed at a thread that does not block it is simply discarded, so Ctrl-C and SIGTERM were lost
/// whenever the kernel picked such a thread.
public final class SignalPipe: @unchecked Sendable {
    // Invariant: `readEnd`/`writeEnd`/`signals` are set once in init; `installed` is only touched under `lock`.
    /// The write end of the active pipe, read by the C handler (a plain global is async-signal-safe to read).
    nonisolated(unsafe) static var activeWriteEnd: Int32 = -1

    private let readEnd: Int32
    private let writeEnd: Int32
    private let signals: [Int32]
    private let lock = Mutex(())
    private var installed = true
    private var previousWriteEnd: Int32

    /// SIGINT and SIGTERM: the signals that ask a command to stop.
    public static var terminationSignals: [Int32] { [SIGINT, SIGTERM] }

    /// Installs handlers for `signals`; `onSignal` runs on a dedicated thread, once per signal received.
    public init(signals: [Int32], onSignal: @escaping @Sendable (Int32) -> Void) {
        var ends: [Int32] = [-1, -1]
        _ = pipe(&ends)
        readEnd = ends[0]
        writeEnd = ends[1]
        self.signals = signals
        previousWriteEnd = Self.activeWriteEnd
        Self.activeWriteEnd = writeEnd
        let handler: @convention(c) (Int32) -> Void = { number in
            var byte = UInt8(truncatingIfNeeded: number)
            _ = write(SignalPipe.activeWriteEnd, &byte, 1)
        }
        for number in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        let readEnd = self.readEnd
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    onSignal(Int32(byte))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return  // the write end was closed by uninstall()
                }
            }
        }
        thread.name = "jumpchain-signals"
        thread.start()
    }

    deinit { uninstall() }

    /// Restores the default dispositions and stops the reader thread. Safe to call more than once.
    public func uninstall() {
        let wasInstalled: Bool = lock.withLock { _ in
            defer { installed = false }
            return installed
        }
        guard wasInstalled else { return }
        for number in signals { signal(number, SIG_DFL) }
        Self.activeWriteEnd = previousWriteEnd
        close(writeEnd)
    }

    /// Waits until one of `signals` arrives, then uninstalls; returns its number.
    public static func next(of signals: [Int32] = terminationSignals) async -> Int32 {
        let received = LockedSignal()
        return await withCheckedContinuation { continuation in
            let pipe = SignalPipe(signals: signals) { number in
                if received.claim() { continuation.resume(returning: number) }
            }
            received.keep(pipe)
        }
    }
}

/// Resumes the waiter once, and keeps the pipe alive until then.
private final class LockedSignal: @unchecked Sendable {
    // Invariant: both properties are only touched under `lock`.
    private let lock = Mutex(())
    private var claimed = false
    private var pipe: SignalPipe?

    func keep(_ pipe: SignalPipe) { lock.withLock { _ in self.pipe = pipe } }

    func claim() -> Bool {
        let (first, pipe): (Bool, SignalPipe?) = lock.withLock { _ in
            defer { claimed = true }
            return (!claimed, self.pipe)
        }
        if first { pipe?.uninstall() }
        return first
    }
}
