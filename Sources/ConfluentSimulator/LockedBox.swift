import Foundation

/// A value guarded by a lock (NSLock, so ThreadSanitizer sees it).
final class LockedBox<Value>: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: `value` is only touched while `lock` is held.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
