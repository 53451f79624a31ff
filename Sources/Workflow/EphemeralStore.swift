import Foundation
import Synchronization

/// In-memory material steps hand to each other (e.g. a freshly minted secret), never persisted.
///
/// After a restart it is empty; a step that declares ``StepSpec/requiresEphemeral`` gets its material
/// re-derived through ``StepExecutor/recoverEphemeral(_:for:context:)`` before it runs.
public final class EphemeralStore: @unchecked Sendable {
    // Invariant: `values` is only read or written while holding `lock`.
    private let lock = Mutex(())
    private var values: [String: any Sendable] = [:]

    /// Creates an empty store.
    public init() {}

    /// The value stored under `name`, if any.
    public func value(_ name: String) -> (any Sendable)? {
        lock.withLock { _ in values[name] }
    }

    /// Whether a value is stored under `name`.
    public func contains(_ name: String) -> Bool {
        lock.withLock { _ in values[name] != nil }
    }

    /// Stores (or replaces) a value.
    public func set(_ name: String, _ value: any Sendable) {
        lock.withLock { _ in values[name] = value }
    }

    /// Removes and returns a value (e.g. so its owner can wipe it).
    @discardableResult
    public func remove(_ name: String) -> (any Sendable)? {
        lock.withLock { _ in values.removeValue(forKey: name) }
    }

    /// The names currently held.
    public var names: [String] {
        lock.withLock { _ in Array(values.keys).sorted() }
    }
}
