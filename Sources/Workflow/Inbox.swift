import Foundation
import Synchronization

/// A many-producer, single-consumer mailbox: step tasks post completions, the scheduler drains them all at
/// once so one scheduling round (and one store transaction) covers every completion that arrived meanwhile.
final class Inbox<Item: Sendable>: @unchecked Sendable {
    // Invariant: `items` and `waiter` are only touched while holding `lock`; at most one consumer waits.
    private let lock = Mutex(())
    private var items: [Item] = []
    private var waiter: CheckedContinuation<[Item], Never>?

    func post(_ item: Item) {
        let waiting: CheckedContinuation<[Item], Never>? = lock.withLock { _ in
            defer { waiter = nil }
            if waiter == nil { items.append(item) }
            return waiter
        }
        waiting?.resume(returning: [item])
    }

    /// Waits until at least one item is posted, then returns all posted items.
    func drain() async -> [Item] {
        await withCheckedContinuation { continuation in
            let ready: [Item]? = lock.withLock { _ in
                if items.isEmpty {
                    waiter = continuation
                    return nil
                }
                defer { items = [] }
                return items
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
