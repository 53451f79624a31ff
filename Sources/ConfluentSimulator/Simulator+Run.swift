import Foundation
import SignalPipe

extension Simulator {
    /// Serves `config` until `until` returns (by default, nil: SIGINT or SIGTERM), for `jumpchain sim`. Writes the
    /// connection file (mode 0600) to `connectionFile`, then reports its path and the ports through `report` (one
    /// line per call). `tls` serves every listener over HTTPS
    /// (see ``start(_:host:portBase:revealOperatorSecrets:logger:tls:)``).
    ///
    /// The default stop signals are caught from before the listeners start: one that arrives at any time after the
    /// connection file exists (even before the report is printed) stops the simulator in order, and `run` returns.
    /// After the first one the default dispositions are back, so a second Ctrl-C during the stop ends the process.
    public static func run(
        _ config: SimulatorConfig, host: String = "127.0.0.1", portBase: Int? = nil, connectionFile: String,
        revealOperatorSecrets: Bool = false, tls: SimulatorTLS? = nil,
        report: @Sendable (String) -> Void = { print($0) },
        until: (@Sendable () async -> Void)? = nil
    ) async throws {
        let stopSignal = until == nil ? StopSignal() : nil
        defer { stopSignal?.uninstall() }
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
        if let until { await until() } else { await stopSignal?.wait() }
        await simulator.stop()
    }
}

/// SIGINT and SIGTERM caught from its creation on: `wait()` returns once one has arrived, even one that arrived before
/// it was called, and then restores the default dispositions.
private struct StopSignal: Sendable {
    private let received: AsyncStream<Int32>
    private let pipe: SignalPipe

    init() {
        let (received, deliver) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.received = received
        pipe = SignalPipe(signals: SignalPipe.terminationSignals) { deliver.yield($0) }
    }

    func wait() async {
        for await _ in received { break }
        pipe.uninstall()
    }

    func uninstall() { pipe.uninstall() }
}
