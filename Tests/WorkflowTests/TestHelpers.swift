import Foundation
import Synchronization
import Testing

@testable import Workflow

/// A step executor built from closures, for tests.
struct ClosureExecutor: StepExecutor {
    let body: @Sendable (StepSpec, StepContext) async throws -> [String: String]
    var recover: (@Sendable (String, StepSpec) async throws -> any Sendable)?

    init(
        recover: (@Sendable (String, StepSpec) async throws -> any Sendable)? = nil,
        _ body: @escaping @Sendable (StepSpec, StepContext) async throws -> [String: String]
    ) {
        self.body = body
        self.recover = recover
    }

    func execute(_ step: StepSpec, context: StepContext) async throws -> [String: String] {
        try await body(step, context)
    }

    func recoverEphemeral(_ name: String, for step: StepSpec, context: StepContext) async throws -> any Sendable {
        guard let recover else {
            throw WorkflowError(code: .ephemeralMissing, message: "no recovery for \(name)")
        }
        return try await recover(name, step)
    }
}

/// A thread-safe value box for observations made inside steps.
final class Locked<Value: Sendable>: Sendable {
    // A reference to one `Mutex`, so that several tasks of a test can share it.
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T {
        mutex.withLock { body(&$0) }
    }

    var current: Value { withLock { $0 } }
}

/// A fresh temporary directory, removed by the caller with `cleanUp`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String = "wf") {
        path = NSTemporaryDirectory() + "jumpchain-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        // 0700: a run directory others can read is refused.
        try? FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

/// Creates a run in a fresh directory and returns a runner for it.
func makeRunner(
    _ steps: [StepSpec], in directory: String, configuration: RunnerConfiguration = RunnerConfiguration(),
    ephemeral: EphemeralStore = EphemeralStore(), events: Locked<[WorkflowEvent]>? = nil
) throws -> Runner {
    let lock = try RunLock.acquire(directory: directory)
    let store: RunStore
    if RunStore.exists(directory: directory) {
        store = try RunStore.open(directory: directory)
    } else {
        store = try RunStore.create(directory: directory, runName: "test", plan: try Plan(steps: steps))
    }
    return Runner(
        store: store, lock: lock, configuration: configuration, ephemeral: ephemeral,
        observer: observer(events))
}

private func observer(_ events: Locked<[WorkflowEvent]>?) -> (@Sendable (WorkflowEvent) -> Void)? {
    guard let events else { return nil }
    return { event in events.withLock { $0.append(event) } }
}
