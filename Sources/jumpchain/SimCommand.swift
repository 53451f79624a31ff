import ArgumentParser
import ConfluentSimulator
import Foundation

struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Serve a local simulator of the Confluent Cloud APIs jumpchain drives (loopback only by default).")

    @Option(help: "A simulator world in YAML.") var config: String?
    @Option(help: "A built-in world: jump-demo, jump-demo-least-privilege (a non-admin operator).") var scenario:
        String?
    @Option(help: "Listen address (its introspection reveals secrets: keep it on loopback).")
    var host: String = "127.0.0.1"
    @Option(
        name: .customLong("bind"),
        help: ArgumentHelp(
            "Bind one listener elsewhere: LISTENER=HOST[:PORT], LISTENER being control-plane, a cluster id or a "
                + "cluster name (repeatable; over the world's bind: map).",
            valueName: "listener=address"))
    var binds: [String] = []
    @Option(name: .customLong("port-base"), help: "Use consecutive ports from this one instead of OS-chosen ports.")
    var portBase: Int?
    @Option(name: .customLong("connection-file"), help: "Where to write the connection details (mode 0600).")
    var connectionFile: String = ".jumpchain/sim-connection.json"
    @Option(name: .customLong("tls-cert"), help: "Serve HTTPS with this certificate chain (PEM; needs --tls-key).")
    var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "The private key of --tls-cert (PEM, unencrypted).")
    var tlsKey: String?
    @Option(
        name: .customLong("generate-topics"),
        help: "Add this many topics (bench-00001, …) on the world's first cluster (benchmarks).")
    var generateTopics: Int = 0
    @Option(help: "Partitions of each generated topic.") var partitions: Int = 1
    @Option(
        name: .customLong("cluster-rate-limit"),
        help: "Limit every cluster to this many requests/s (excess: 429, HTML, no rate-limit headers).")
    var clusterRateLimit: Double?
    @Option(name: .customLong("latency-ms"), help: "Delay every answer by this many milliseconds.")
    var latencyMs: Int?

    func validate() throws {
        guard (config == nil) != (scenario == nil) else {
            throw ValidationError("give exactly one of --config FILE or --scenario NAME")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("give both --tls-cert PEM and --tls-key PEM, or neither")
        }
        guard generateTopics >= 0, partitions >= 1, (clusterRateLimit ?? 1) > 0, (latencyMs ?? 0) >= 0 else {
            throw ValidationError(
                "--generate-topics must be >= 0, --partitions >= 1, --cluster-rate-limit > 0, --latency-ms >= 0")
        }
    }

    /// Each `--bind` as (listener, address), checked against `world`: a malformed one and one naming no listener
    /// are the same invalid input (exit 2), each naming the flag, the listeners and the expected form.
    static func listenerBinds(_ binds: [String], world: SimulatorConfig) throws -> [(String, String)] {
        let listeners = ["control-plane"] + world.clusters.flatMap { [$0.name, $0.id].compactMap { $0 } }
        let form =
            "write --bind LISTENER=HOST[:PORT] with LISTENER control-plane, a cluster name or a cluster id ("
            + listeners.joined(separator: ", ") + "), e.g. --bind origin=10.231.1.1 or "
            + "--bind control-plane=10.231.0.1:8090"
        return try binds.map { bind in
            let parts = bind.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, ListenerAddress(parsing: parts[1]) != nil else {
                Terminal.error("jumpchain sim: --bind \(bind): not LISTENER=HOST[:PORT]; \(form)")
                throw ExitCode(ExitStatus.invalidInput)
            }
            guard listeners.contains(parts[0]) else {
                Terminal.error("jumpchain sim: --bind \(bind): \(parts[0]) is not a listener of this world; \(form)")
                throw ExitCode(ExitStatus.invalidInput)
            }
            return (parts[0], parts[1])
        }
    }

    func run() async throws {
        var world: SimulatorConfig
        do {
            if let config {
                world = try SimulatorConfig.load(path: config)
            } else {
                world = try SimulatorConfig.scenario(named: scenario ?? "")
            }
        } catch {
            Terminal.error("jumpchain sim: \((error as? SimulatorError)?.message ?? "\(error)")")
            throw ExitCode(ExitStatus.invalidInput)
        }
        if generateTopics > 0, let first = world.clusters.first {
            world = world.addingGeneratedTopics(count: generateTopics, partitions: partitions, on: first.id)
        }
        world = world.limitingClusters(requestsPerSecond: clusterRateLimit, latencyMs: latencyMs)
        for (listener, address) in try Self.listenerBinds(binds, world: world) { world.bind[listener] = address }
        try FileManager.default.createDirectory(
            atPath: (connectionFile as NSString).deletingLastPathComponent.isEmpty
                ? "." : (connectionFile as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let tls = tlsCert.flatMap { cert in tlsKey.map { SimulatorTLS(certificateChainPath: cert, privateKeyPath: $0) }
        }
        do {
            try await Simulator.run(
                world, host: host, portBase: portBase, connectionFile: connectionFile,
                revealOperatorSecrets: scenario == "jump-demo", tls: tls, report: { Terminal.line($0) })
        } catch let error as SimulatorError {
            // Unreadable TLS files, an unwritable connection file, a port in use: name it and what to fix.
            Terminal.error("jumpchain sim: \(error.message)")
            throw ExitCode(ExitStatus.invalidInput)
        }
    }
}
