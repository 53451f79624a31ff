import ConfluentSimulator
import Foundation
import JumpchainJSON
import Testing

/// The suites that drive the built binary against the simulator run in three serialized lanes side by side: each
/// suite starts its own simulator world and processes, and they mostly wait (on propagation, timeouts, signals),
/// so three lanes keep a 2-core machine busy without the flakiness of running every suite at once. A lane holds
/// about a third of the suites' time (the exit paths suite alone is a third); a new suite goes in the lane with
/// the least.
@Suite("jumpchain through the built binary", .serialized)
struct BinaryTests {}

/// The second lane (see ``BinaryTests``).
@Suite("jumpchain through the built binary, lane 2", .serialized)
struct BinaryTestsLane2 {}

/// The third lane (see ``BinaryTests``).
@Suite("jumpchain through the built binary, lane 3", .serialized)
struct BinaryTestsLane3 {}

/// Runs the built `jumpchain` binary, as a user would, with output captured in files.
enum CLI {
    /// The `jumpchain` executable next to the test bundle (`swift build --build-tests` builds both).
    static var binary: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("jumpchain").path
    }

    /// The package root (for `playbooks/`).
    static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var arguments: [String]
        var output: String { stdout + stderr }
    }

    /// A started process whose output goes to files (so a SIGKILL loses nothing already written).
    /// `@unchecked Sendable`: every property is set in init and only read afterwards.
    final class Running: @unchecked Sendable {
        let process: Process
        let outPath: String
        let errPath: String
        let arguments: [String]

        /// `stdin`: the text standard input reads (nothing when nil).
        /// `executable` runs instead of `jumpchain` (e.g. a shell that sets a umask first).
        init(
            _ arguments: [String], environment: [String: String], directory: String, stdin: String? = nil,
            executable: String? = nil
        ) throws {
            self.arguments = arguments
            let base = NSTemporaryDirectory() + "jumpchain-cli-\(UUID().uuidString)"
            outPath = base + ".out"
            errPath = base + ".err"
            _ = FileManager.default.createFile(atPath: outPath, contents: nil)
            _ = FileManager.default.createFile(atPath: errPath, contents: nil)
            process = Process()
            process.executableURL = URL(fileURLWithPath: executable ?? CLI.binary)
            process.arguments = arguments
            process.environment = environment
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            if let stdin {
                let inPath = base + ".in"
                _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin.utf8))
                process.standardInput = FileHandle(forReadingAtPath: inPath)
            } else {
                process.standardInput = FileHandle.nullDevice
            }
            process.standardOutput = FileHandle(forWritingAtPath: outPath)
            process.standardError = FileHandle(forWritingAtPath: errPath)
            try process.run()
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
        }

        /// Waits off the cooperative pool: the in-process simulator needs those threads to answer.
        func wait() async -> Result {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    self.process.waitUntilExit()
                    continuation.resume()
                }
            }
            let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
            let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
            return Result(status: process.terminationStatus, stdout: out, stderr: err, arguments: arguments)
        }
    }

    /// The seed of a seeded kill loop: `variable` from the environment (to replay a run), else a random one. Printed
    /// with how to replay it.
    static func killSeed(_ variable: String, label: String) -> UInt64 {
        let seed =
            ProcessInfo.processInfo.environment[variable].flatMap(UInt64.init)
            ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("\(label) seed: \(seed) (replay with \(variable)=\(seed))")
        return seed
    }

    static func run(_ arguments: [String], environment: [String: String], directory: String) async throws -> Result {
        try await Running(arguments, environment: environment, directory: directory).wait()
    }
}

/// The simulator's `jump-demo` world plus the environment and state directory a CLI run needs.
final class DemoWorld: @unchecked Sendable {
    // Invariant: set once in `start`, read-only afterwards.
    let simulator: Simulator
    let environment: [String: String]
    let stateDirectory: String
    let workDirectory: String
    /// Every command line and every output the test produced, for the secret scan.
    private(set) var transcripts: [String] = []

    private init(simulator: Simulator, environment: [String: String], stateDirectory: String, workDirectory: String) {
        self.simulator = simulator
        self.environment = environment
        self.stateDirectory = stateDirectory
        self.workDirectory = workDirectory
    }

    static func start(config: SimulatorConfig = .jumpDemo()) async throws -> DemoWorld {
        let simulator = try await Simulator.start(config, revealOperatorSecrets: true)
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        {
            environment[name] = value
        }
        environment["JUMPCHAIN_POLL_MS"] = "100"
        // Generous per-request limits: a loaded 2-core CI machine must not turn slowness into failures.
        environment["JUMPCHAIN_HTTP_TIMEOUT_MS"] = "15000"
        environment["JUMPCHAIN_HTTP_ATTEMPTS"] = "4"
        let work = NSTemporaryDirectory() + "jumpchain-world-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        return DemoWorld(
            simulator: simulator, environment: environment, stateDirectory: work + "/state", workDirectory: work)
    }

    func stop() async {
        await simulator.stop()
        try? FileManager.default.removeItem(atPath: workDirectory)
    }

    var demoPlaybook: String { CLI.packageRoot + "/playbooks/demo.yaml" }

    /// Writes a variant of the demo playbook (text replacements) into the work directory.
    func playbookVariant(_ name: String, replacing replacements: [(String, String)]) throws -> String {
        var text = try String(contentsOfFile: demoPlaybook, encoding: .utf8)
        for (old, new) in replacements {
            precondition(text.contains(old), "demo.yaml no longer contains \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        let path = workDirectory + "/\(name).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func jumpchain(
        _ arguments: [String], environment overrides: [String: String] = [:], stdin: String? = nil
    ) async throws -> CLI.Result {
        let result = try await CLI.Running(
            arguments + ["--state-dir", stateDirectory], environment: environment.merging(overrides) { $1 },
            directory: workDirectory, stdin: stdin
        ).wait()
        record(result)
        return result
    }

    func start(_ arguments: [String]) throws -> CLI.Running {
        try CLI.Running(
            arguments + ["--state-dir", stateDirectory], environment: environment, directory: workDirectory)
    }

    /// The step of a seeded kill loop: runs `arguments` and SIGKILLs it if it still runs after `delay` seconds. The
    /// output is recorded either way; `killed` says which.
    func runOrKill(_ arguments: [String], after delay: Double) async throws -> (result: CLI.Result, killed: Bool) {
        let running = try start(arguments)
        let deadline = Date().addingTimeInterval(delay)
        while running.process.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let killed = running.process.isRunning
        if killed { running.kill() }
        let result = await running.wait()
        record(result)
        return (result, killed)
    }

    /// Appends a transcript (guarded: tests may record from several tasks).
    func record(_ result: CLI.Result) {
        transcripts.append(result.arguments.joined(separator: " "))
        transcripts.append(result.output)
    }

    /// `/sim/v1/state` as a dictionary.
    func state() -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8)) as? [String: Any]) ?? [:]
    }

    /// What a rollout changes remotely: links, mirrors, topics, ACLs and live keys (revoked keys excluded).
    func remoteFingerprint() -> String {
        let state = self.state()
        func items(_ key: String, _ fields: [String]) -> [String] {
            ((state[key] as? [[String: Any]]) ?? []).map { item in
                fields.map { "\(item[$0] ?? "-")" }.joined(separator: "|")
            }.sorted()
        }
        let keys = ((state["api_keys"] as? [[String: Any]]) ?? []).filter { ($0["revoked"] as? Bool) != true }
            .map { "\($0["id"] ?? "")|\($0["owner"] ?? "")|\($0["resource"] ?? "-")" }.sorted()
        return
            (items("links", ["cluster_id", "link_name", "cluster_link_id", "remote_api_key_id"])
            + items("mirrors", ["cluster_id", "mirror_topic_name", "link_name"])
            + items("topics", ["cluster_id", "topic_name"])
            + items(
                "acls",
                [
                    "cluster_id", "principal", "operation",
                    "resource_type", "resource_name",
                ]) + keys).joined(separator: "\n")
    }

    /// Live API keys whose resource is `cluster`.
    func liveKeys(on cluster: String) -> [String] {
        ((state()["api_keys"] as? [[String: Any]]) ?? []).filter {
            ($0["resource"] as? String) == cluster && ($0["revoked"] as? Bool) != true
        }.compactMap { $0["id"] as? String }.sorted()
    }

    /// `id (owner): description` of each key in `ids`: the description says which run and, for a session key, which
    /// process minted it, so a leftover key names the path that leaked it.
    func describeKeys(_ ids: [String]) -> [String] {
        ((state()["api_keys"] as? [[String: Any]]) ?? []).filter { ids.contains(($0["id"] as? String) ?? "") }.map {
            "\($0["id"] ?? "?") (\($0["owner"] ?? "?")): \($0["description"] ?? "")"
        }
    }

    /// Live keys on the origin owned by the link service account: the origin link keys jumpchain minted.
    func liveOriginLinkKeys() -> [String] {
        ((state()["api_keys"] as? [[String: Any]]) ?? []).filter {
            ($0["resource"] as? String) == SimulatorConfig.JumpDemo.origin
                && ($0["owner"] as? String) == SimulatorConfig.JumpDemo.linkServiceAccount
                && ($0["revoked"] as? Bool) != true
        }.compactMap { $0["id"] as? String }.sorted()
    }

    /// The origin keys the links hold as `local.*` credentials (leg 1's source half).
    func heldLocalKeys() -> Set<String> {
        Set(((state()["links"] as? [[String: Any]]) ?? []).compactMap { $0["local_api_key_id"] as? String })
    }

    /// Every secret the simulator ever issued, raw and as base64 of `key:secret`.
    func issuedSecretNeedles() -> [String] {
        ((state()["api_keys"] as? [[String: Any]]) ?? []).flatMap { key -> [String] in
            guard let id = key["id"] as? String, let secret = key["secret"] as? String, !secret.isEmpty else {
                return []
            }
            return [secret, Data("\(id):\(secret)".utf8).base64EncodedString()]
        }
    }

    /// Files under the state directory containing any needle.
    func scanStateDirectory(for needles: [String]) -> [String] {
        var hits: [String] = []
        guard let files = FileManager.default.enumerator(atPath: stateDirectory) else { return [] }
        for case let file as String in files {
            let path = stateDirectory + "/" + file
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for needle in needles where data.range(of: Data(needle.utf8)) != nil { hits.append(path) }
        }
        return hits
    }
}
