import Foundation
import SignalPipe
import Synchronization

extension Simulator {
    /// Serves `config` until `until` returns (by default, nil: SIGINT or SIGTERM), for `jumpchain sim`. Writes the
    /// connection file (mode 0600) to `connectionFile`, then reports its path and the ports through `report` (one
    /// line per call). `tls` serves every listener over HTTPS
    /// (see ``start(_:host:portBase:revealOperatorSecrets:logger:tls:)``).
    ///
    /// The default stop signals are caught from before the listeners start: one that arrives at any time (during the
    /// start, or before the report is printed) stops the simulator in order once it has started and reported, and
    /// `run` returns. The first one puts the default dispositions back as it arrives, so a second Ctrl-C ends the
    /// process at once — a start that hangs, or a stop.
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
/// it was called. The first one restores the default dispositions as it arrives (as ``SignalPipe/next(of:)`` does), so
/// a second one ends the process whatever `run` is doing then — e.g. a start that hangs.
private final class StopSignal: Sendable {
    private let received: AsyncStream<Int32>
    /// The installed pipe, and whether a signal arrived (possibly before the pipe was stored here).
    private let state = Mutex<(pipe: SignalPipe?, arrived: Bool)>((nil, false))

    init() {
        let (received, deliver) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.received = received
        let pipe = SignalPipe(signals: SignalPipe.terminationSignals) { [weak self] number in
            self?.arrived()
            deliver.yield(number)
        }
        let arrivedAlready = state.withLock { state in
            state.pipe = pipe
            return state.arrived
        }
        if arrivedAlready { pipe.uninstall() }
    }

    /// On the signal thread, at each signal: the first one uninstalls the handlers.
    private func arrived() {
        let pipe = state.withLock { state in
            state.arrived = true
            return state.pipe
        }
        pipe?.uninstall()
    }

    func wait() async {
        for await _ in received { break }
    }

    func uninstall() { state.withLock { $0.pipe }?.uninstall() }
}
