import Foundation
import SignalPipe

extension Simulator {
    /// Serves `config` until `until` returns (by default: SIGINT or SIGTERM), for `jumpchain sim`. Writes the connection file (mode 0600)
    /// to `connectionFile`, then reports its path and the ports through `report` (one line per call).
    /// `tls` serves every listener over HTTPS (see ``start(_:host:portBase:revealOperatorSecrets:logger:tls:)``).
    public static func run(
        _ config: SimulatorConfig, host: String = "127.0.0.1", portBase: Int? = nil, connectionFile: String,
        revealOperatorSecrets: Bool = false, tls: SimulatorTLS? = nil,
        report: @Sendable (String) -> Void = { print($0) },
        until: @Sendable () async -> Void = { await Simulator.waitForTerminationSignal() }
    ) async throws {
        let simulator = try await start(
            config, host: host, portBase: portBase, revealOperatorSecrets: revealOperatorSecrets, tls: tls)
        do {
            try simulator.writeConnectionInfo(to: connectionFile)
        } catch {
            await simulator.stop()
            throw error
        }
        report("simulator connection file: \(connectionFile)")
        report("control plane: \(simulator.controlPlaneURL) (state: \(simulator.controlPlaneURL)/sim/v1/state)")
        for cluster in simulator.connectionInfo.clusters {
            let placement = cluster.network.map { "private, network \($0)" } ?? "public"
            report(
                "cluster \(cluster.id) (\(cluster.name), \(placement)): \(cluster.restURL) bootstrap \(cluster.bootstrap)"
            )
        }
        report("press Ctrl-C to stop")
        await until()
        await simulator.stop()
    }

    /// Returns when the process receives SIGINT or SIGTERM (both are then ignored by default handling).
    public static func waitForTerminationSignal() async {
        _ = await SignalPipe.next()
    }
}
