// Measures the workflow engine on 10,000 no-op steps (release build: `make bench`):
// durable step transitions per second (chain and wide graph), time to resume a 10,000-step run whose
// first 9,999 steps are done until its last step starts, and peak RSS (VmHWM).
import Foundation
import Workflow

struct NoOpExecutor: StepExecutor {
    func execute(_ step: StepSpec, context: StepContext) async throws -> [String: String] { [:] }
}

/// Fails the step named `failing` (not retryable) and records when the step named `watched` starts.
struct ProbeExecutor: StepExecutor {
    let failing: String?
    let startedAt: Box

    final class Box: @unchecked Sendable {
        // Invariant: written once by the single step that calls `mark()`, read after the run returns.
        var instant: ContinuousClock.Instant?
        func mark() { instant = ContinuousClock.now }
    }

    func execute(_ step: StepSpec, context: StepContext) async throws -> [String: String] {
        if step.id == failing { throw StepFailure("stop here for the resume benchmark", retryable: false) }
        startedAt.mark()
        return [:]
    }
}

func chain(_ count: Int) throws -> Plan {
    try Plan(steps: (0..<count).map { StepSpec(id: "s\($0)", kind: "noop", dependsOn: $0 == 0 ? [] : ["s\($0 - 1)"]) })
}

func wide(_ count: Int) throws -> Plan {
    try Plan(steps: (0..<count).map { StepSpec(id: "s\($0)", kind: "noop") })
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func peakRSSKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
    }
    return -1
}

func measureThroughput(name: String, plan: Plan, concurrency: Int, root: String) async throws {
    let directory = root + "/" + name
    let lock = try RunLock.acquire(directory: directory)
    let store = try RunStore.create(directory: directory, runName: name, plan: plan)
    let runner = Runner(store: store, lock: lock, configuration: RunnerConfiguration(maxConcurrency: concurrency))
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = try await runner.run(executor: NoOpExecutor())
    let elapsed = seconds(clock.now - start)
    precondition(outcome.status == .succeeded, "benchmark run did not succeed: \(outcome)")
    let transitions = plan.steps.count * 2
    print(
        String(
            format: "%@: %d steps, %d durable transitions in %.3f s = %.0f transitions/s (%.0f steps/s)",
            name, plan.steps.count, transitions, elapsed, Double(transitions) / elapsed,
            Double(plan.steps.count) / elapsed))
    lock.release()
}

func measureResume(root: String, count: Int) async throws {
    let directory = root + "/resume"
    let plan = try chain(count)
    let last = plan.steps[count - 1].id
    do {
        let lock = try RunLock.acquire(directory: directory)
        let store = try RunStore.create(directory: directory, runName: "resume", plan: plan)
        let probe = ProbeExecutor(failing: last, startedAt: .init())
        let outcome = try await Runner(store: store, lock: lock).run(executor: probe)
        precondition(outcome.status == .failed)
        lock.release()
    }
    let probe = ProbeExecutor(failing: nil, startedAt: .init())
    let clock = ContinuousClock()
    let start = clock.now
    let lock = try RunLock.acquire(directory: directory)
    let store = try RunStore.open(directory: directory)
    let outcome = try await Runner(store: store, lock: lock).run(executor: probe)
    precondition(outcome.status == .succeeded)
    let untilScheduled = seconds(probe.startedAt.instant! - start)
    let total = seconds(clock.now - start)
    print(
        String(
            format: "resume: %d-step run with %d done: last step started after %.3f s (run finished after %.3f s)",
            count, count - 1, untilScheduled, total))
    lock.release()
}

let root = NSTemporaryDirectory() + "jumpchain-bench-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: root) }
do {
    try await measureThroughput(name: "chain", plan: try chain(10_000), concurrency: 8, root: root)
    try await measureThroughput(name: "wide", plan: try wide(10_000), concurrency: 64, root: root)
    try await measureResume(root: root, count: 10_000)
    print("peak RSS (VmHWM): \(peakRSSKiB() / 1024) MiB")
} catch {
    print("benchmark failed: \(error)")
    exit(1)
}
