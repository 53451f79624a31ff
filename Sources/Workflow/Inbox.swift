import Foundation

/// A many-producer, single-consumer mailbox: step tasks post completions, the scheduler drains them all at
/// once so one scheduling round (and one store transaction) covers every completion that arrived meanwhile.
final class Inbox<Item: Sendable>: @unchecked Sendable {
    // Invariant: `items` and `waiter` are only touched while holding `lock`; at most one consumer waits.
    private let lock = NSLock()
    private var items: [Item] = []
    private var waiter: CheckedContinuation<[Item], Never>?

    func post(_ item: Item) {
        lock.lock()
        if let waiter {
            self.waiter = nil
            lock.unlock()
            waiter.resume(returning: [item])
        } else {
            items.append(item)
            lock.unlock()
        }
    }

    /// Waits until at least one item is posted, then returns all posted items.
    func drain() async -> [Item] {
        await withCheckedContinuation { continuation in
            lock.lock()
            if items.isEmpty {
                waiter = continuation
                lock.unlock()
            } else {
                let ready = items
                items = []
                lock.unlock()
                continuation.resume(returning: ready)
            }
        }
    }
}
