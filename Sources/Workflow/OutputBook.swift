import Foundation
import Synchronization

/// Outputs of succeeded steps, shared by reference between the runner and running steps.
///
/// A shared box rather than a dictionary snapshot per step: copying a 10,000-entry dictionary for every
/// launch would make scheduling quadratic.
final class OutputBook: @unchecked Sendable {
    // Invariant: `outputs` is only read or written while holding `lock`.
    private let lock = Mutex(())
    private var outputs: [String: [String: String]]

    init(_ outputs: [String: [String: String]] = [:]) {
        self.outputs = outputs
    }

    func outputs(of stepID: String) -> [String: String]? {
        lock.withLock { _ in outputs[stepID] }
    }

    func record(_ stepOutputs: [String: String], for stepID: String) {
        lock.withLock { _ in outputs[stepID] = stepOutputs }
    }
}
