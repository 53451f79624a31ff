// A small executable the crash tests SIGKILL at random moments and resume.
//
// Usage: WorkflowCrashHarness <run-dir | postgres-url> <effects-log> [--run NAME] [--steps N] [--seed S]
//                             [--announce-lock]
// With a postgres:// URL the run (default name crash-harness) lives in that database.
//
// It runs (or resumes) a deterministic graph of no-ops, short sleeps and "effect" steps. An effect step
// is written observe-then-act: it reads the effects log and appends its own line only if the line is
// missing, so however often it is re-run its effect happens exactly once. The append is one write(2) of
// a short line with O_APPEND, which a SIGKILL cannot split.
//
// Exit codes: 0 succeeded, 2 failed, 3 stopped, 75 run locked (with the engine's message on stderr), 1 other.
import Foundation
import Workflow
import WorkflowPostgres

#if canImport(Glibc)
    import Glibc
#endif

struct HarnessOptions {
    var runDirectory = ""
    var effectsLog = ""
    var steps = 300
    var seed: UInt64 = 1
    var announceLock = false
    var runName = "crash-harness"

    init(arguments: [String]) {
        var positional: [String] = []
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--steps": steps = Int(iterator.next() ?? "") ?? steps
            case "--seed": seed = UInt64(iterator.next() ?? "") ?? seed
            case "--announce-lock": announceLock = true
            case "--run": runName = iterator.next() ?? runName
            default: positional.append(argument)
            }
        }
        if positional.count >= 2 {
            runDirectory = positional[0]
            effectsLog = positional[1]
        }
    }
}

/// A deterministic plan: each step depends on up to two of the 16 steps before it.
func makePlan(steps count: Int, seed: UInt64) throws(WorkflowError) -> Plan {
    var state = seed
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    var steps: [StepSpec] = []
    for index in 0..<count {
        var dependencies: Set<String> = []
        if index > 0 {
            for _ in 0..<Int(next() % 3) {
                let back = Int(next() % UInt64(min(index, 16))) + 1
                dependencies.insert("s\(index - back)")
            }
        }
        let kinds = ["noop", "sleep", "effect"]
        let kind = kinds[Int(next() % 3)]
        var parameters: [String: String] = [:]
        if kind == "sleep" { parameters["ms"] = String(2 + next() % 8) }
        steps.append(
            StepSpec(
                id: "s\(index)", kind: kind, dependsOn: dependencies.sorted(), parameters: parameters,
                resources: ["lane:\(index % 3)"]))
    }
    return try Plan(steps: steps)
}

struct HarnessExecutor: StepExecutor {
    let effectsLog: String

    func execute(_ step: StepSpec, context: StepContext) async throws -> [String: String] {
        switch step.kind {
        case "sleep":
            try await Task.sleep(nanoseconds: UInt64(step.parameters["ms"].flatMap(Int.init) ?? 1) * 1_000_000)
            return [:]
        case "effect":
            return ["effect": try applyEffect(step.id)]
        default:
            return [:]
        }
    }

    /// Observe (is our line in the log?) then act (append it) — idempotent across re-runs.
    private func applyEffect(_ id: String) throws -> String {
        let line = id + "\n"
        if let existing = try? String(contentsOfFile: effectsLog, encoding: .utf8),
            existing.split(separator: "\n").contains(Substring(id))
        {
            return "observed"
        }
        let descriptor = open(effectsLog, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StepFailure("cannot open \(effectsLog)", retryable: true) }
        defer { close(descriptor) }
        let written = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, line.utf8.count) }
        guard written == line.utf8.count else { throw StepFailure("short write to \(effectsLog)", retryable: true) }
        return "applied"
    }
}

func runHarness() async -> Int32 {
    let options = HarnessOptions(arguments: CommandLine.arguments)
    guard !options.runDirectory.isEmpty else {
        FileHandle.standardError.write(Data("usage: WorkflowCrashHarness <run-dir> <effects-log> [options]\n".utf8))
        return 1
    }
    let backend: any RunStateBackend
    let run: String
    if ConnectionString.isPostgresURL(options.runDirectory) {
        do {
            backend = try PostgresRunBackend(url: options.runDirectory)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return 1
        }
        run = options.runName
    } else {
        backend = SQLiteRunBackend()
        run = options.runDirectory
    }
    do {
        let lock = try backend.lockRun(run)
        let store: any RunStateStore
        do {
            store = try backend.openRun(run)
        } catch let missing where missing.code == .runNotFound {
            let plan = try makePlan(steps: options.steps, seed: options.seed)
            store = try backend.createRun(run, plan: plan, manifest: #"{"harness":true}"#)
        }
        let runner = Runner(
            store: store, lock: lock,
            configuration: RunnerConfiguration(
                maxConcurrency: 6, defaultResourceLimit: 2, handleSignals: true),
            observer: { event in
                // Announced once the run has started, so the signal trap is in place and the lock is held.
                if options.announceLock && event.kind == .runStarted {
                    FileHandle.standardOutput.write(Data("LOCKED\n".utf8))
                }
            })
        let outcome = try await runner.run(executor: HarnessExecutor(effectsLog: options.effectsLog))
        lock.release()
        switch outcome.status {
        case .succeeded: return 0
        case .stopped: return 3
        default: return 2
        }
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        return error.code == .runLocked ? error.code.suggestedExitStatus : 1
    }
}

exit(await runHarness())
