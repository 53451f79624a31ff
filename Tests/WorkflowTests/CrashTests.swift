import Foundation
import Testing
import WorkflowPostgres

@testable import Workflow

/// Kills the real WorkflowCrashHarness process with SIGKILL at random moments and resumes it.
///
/// The harness must already be built (`swift build --build-tests` builds every executable).
@Suite(.serialized) struct CrashTests {
    /// The harness binary next to the running test binary (`.build/<config>/`).
    static func harnessPath() throws -> String {
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((executable as NSString).deletingLastPathComponent)
        }
        if let bundle = Bundle.main.executableURL {
            candidates.append(bundle.deletingLastPathComponent().path)
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug").path)
        for directory in candidates {
            let path = directory + "/WorkflowCrashHarness"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw WorkflowError(
            code: .runNotFound,
            message: "WorkflowCrashHarness not found in \(candidates); run `swift build --build-tests` first")
    }

    static func launch(_ arguments: [String], stdout: Pipe? = nil, stderr: Pipe? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try harnessPath())
        process.arguments = arguments
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = stderr ?? FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits for the process to exit off the cooperative pool (a blocked pool thread on a 2-core machine
    /// stalls every other test running at the same time).
    static func exit(_ process: Process) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }

    /// Waits up to `milliseconds` for the process to exit; returns whether it did.
    static func wait(_ process: Process, milliseconds: Int) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(milliseconds)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(nanoseconds: 2_000_000)
        }
        return !process.isRunning
    }

    /// The store must open cleanly after every kill (or hold no run yet if the kill beat its creation).
    static func expectStoreOpens(_ run: String, in backend: any RunStateBackend = SQLiteRunBackend()) throws {
        guard try backend.runExists(run) else { return }
        do {
            let store = try backend.openRun(run)
            #expect(try store.integrityCheck())
        } catch let error where error.code == .runNotFound {
            // Killed between creating the file and committing the run: the next launch creates it.
        }
    }

    static func verifyFinishedRun(
        _ run: String, effectsLog: String, in backend: any RunStateBackend = SQLiteRunBackend()
    ) throws {
        let store = try backend.openRun(run)
        #expect(try store.integrityCheck())
        #expect(try store.metadata().status == .succeeded)
        let plan = try store.plan()
        let states = try store.stepStates()
        #expect(states.count == plan.steps.count)
        #expect(states.values.allSatisfy { $0 == .succeeded }, "every step must end succeeded")
        let expected = plan.steps.filter { $0.kind == "effect" }.map(\.id).sorted()
        let lines = (try String(contentsOfFile: effectsLog, encoding: .utf8)).split(separator: "\n").map(String.init)
        #expect(lines.sorted() == expected, "every side effect must happen exactly once")
    }

    @Test(arguments: BackendKind.testable)
    func survivesRepeatedSigkillAndResumes(_ kind: BackendKind) async throws {
        let seed =
            ProcessInfo.processInfo.environment["WORKFLOW_CRASH_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("crash test (\(kind)) seed: \(seed) (rerun with WORKFLOW_CRASH_SEED=\(seed))")
        var random = SplitMix64(seed: seed)
        let fixture = try await TestBackend.make(kind, "crash")
        defer { fixture.cleanUp() }
        let root = fixture.root
        let clock = ContinuousClock()
        let start = clock.now
        var kills = 0
        var round = 0
        var interruptedRuns = 0
        while kills < 30 {
            round += 1
            let run = fixture.harnessRunKey("run-\(round)")
            let effectsLog = root.path + "/effects-\(round).log"
            let arguments = [
                fixture.harnessLocation("run-\(round)"), effectsLog, "--run", "run-\(round)", "--steps", "300",
                "--seed", "\(seed &+ UInt64(round))",
            ]
            while true {
                let process = try Self.launch(arguments)
                if kills < 30 {
                    // A PostgreSQL harness spends longer connecting: kill it later, so kills land mid-run too.
                    let delay = kind == .postgres ? 40 + Int(random.next() % 400) : 15 + Int(random.next() % 120)
                    if try await !Self.wait(process, milliseconds: delay) {
                        kill(process.processIdentifier, SIGKILL)
                        await Self.exit(process)
                        kills += 1
                        try Self.expectStoreOpens(run, in: fixture.backend)
                        continue
                    }
                } else {
                    await Self.exit(process)
                }
                #expect(process.terminationStatus == 0, "harness exited with \(process.terminationStatus)")
                break
            }
            try Self.verifyFinishedRun(run, effectsLog: effectsLog, in: fixture.backend)
            let events = try fixture.backend.openRun(run).events()
            interruptedRuns += events.contains { $0.kind == .stepInterrupted } ? 1 : 0
        }
        print(
            "crash test (\(kind)): \(kills) SIGKILLs over \(round) runs (\(interruptedRuns) resumed interrupted steps) "
                + "in \(clock.now - start)")
        #expect(interruptedRuns > 0, "kills should land mid-run")
    }

    @Test(arguments: BackendKind.testable)
    func secondRunnerOnTheSameRunIsRefused(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "two-runners")
        defer { fixture.cleanUp() }
        let run = fixture.harnessRunKey("run")
        let effectsLog = fixture.root.path + "/effects.log"
        // Enough steps that the first runner is still working when the second asks (PostgreSQL is slower per step).
        let steps = kind == .postgres ? "1500" : "4000"
        let arguments = [fixture.harnessLocation("run"), effectsLog, "--run", "run", "--steps", steps, "--seed", "5"]
        let output = Pipe()
        let first = try Self.launch(arguments + ["--announce-lock"], stdout: output)
        let announced = output.fileHandleForReading.availableData
        #expect(String(decoding: announced, as: UTF8.self).contains("LOCKED"))

        let errors = Pipe()
        let second = try Self.launch(arguments, stderr: errors)
        await Self.exit(second)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(second.terminationStatus == 75)
        #expect(message.contains("runLocked"))
        #expect(message.contains("pid \(first.processIdentifier)"), "\(message)")
        #expect(first.isRunning, "the first runner should still be working when the second is refused")

        await Self.exit(first)
        #expect(first.terminationStatus == 0)
        try Self.verifyFinishedRun(run, effectsLog: effectsLog, in: fixture.backend)
    }

    @Test(arguments: BackendKind.testable)
    func sigtermRecordsAnOrderlyStopAndResumeFinishes(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "sigterm")
        defer { fixture.cleanUp() }
        let run = fixture.harnessRunKey("run")
        let effectsLog = fixture.root.path + "/effects.log"
        // Enough steps that the run cannot finish before the signal, even on a loaded machine.
        let steps = kind == .postgres ? "1500" : "4000"
        let arguments = [fixture.harnessLocation("run"), effectsLog, "--run", "run", "--steps", steps, "--seed", "9"]
        let output = Pipe()
        let process = try Self.launch(arguments + ["--announce-lock"], stdout: output)
        _ = output.fileHandleForReading.availableData
        try await Task.sleep(nanoseconds: 150_000_000)
        kill(process.processIdentifier, SIGTERM)
        await Self.exit(process)
        #expect(process.terminationStatus == 3, "a SIGTERM'd harness reports a stop")
        let store = try fixture.backend.openRun(run)
        #expect(try store.metadata().status == .stopped)
        #expect(try store.events().last?.kind == .runStopped)
        #expect(try !store.stepStates().values.contains(.running))
        let holder =
            try (fixture.backend as? PostgresRunBackend)?.recordedHolder(run)
            ?? RunLock.recordedHolder(directory: run)
        #expect(holder == nil, "the lock is released on stop")

        let resumed = try Self.launch(arguments)
        await Self.exit(resumed)
        #expect(resumed.terminationStatus == 0)
        try Self.verifyFinishedRun(run, effectsLog: effectsLog, in: fixture.backend)
    }
}
