import Foundation
import JumpchainJSON
public import Logging
import SeededRandom
import Synchronization

/// A running simulated Confluent Cloud: one control-plane listener, one listener per cluster, and a
/// background ticker. Start it with ``start(_:host:portBase:revealOperatorSecrets:logger:tls:)``; stop it with ``stop()``.
public final class Simulator: Sendable {
    let world: World
    /// The listeners and the ticker until ``stop()`` takes them.
    private let running: Mutex<(listeners: [Listener.Running], ticker: Task<Void, any Error>?)>
    /// `http://host:port` (`https://` with TLS) of the control plane (IAM, networking, `/sim/v1/...`).
    public let controlPlaneURL: String
    /// Listener name (`control-plane` or cluster id) → port.
    public let ports: [String: Int]
    /// Connection details of this world.
    public let connectionInfo: SimulatorConnectionInfo
    private let clusterURLs: [String: String]
    private let bootstraps: [String: String]

    private init(
        world: World, listeners: [Listener.Running], ticker: Task<Void, any Error>?, controlPlaneURL: String,
        ports: [String: Int], clusterURLs: [String: String], bootstraps: [String: String],
        connectionInfo: SimulatorConnectionInfo
    ) {
        self.world = world
        self.running = Mutex((listeners, ticker))
        self.controlPlaneURL = controlPlaneURL
        self.ports = ports
        self.clusterURLs = clusterURLs
        self.bootstraps = bootstraps
        self.connectionInfo = connectionInfo
    }

    /// Starts every listener on `host` with OS-chosen ports (or `portBase`, `portBase+1`, … when given)
    /// and the ticker. A listener named in the config's `bind` map binds that address (and port, if it has one)
    /// instead, and its reported URL names that address. `revealOperatorSecrets` puts admin principals' key secrets in ``connectionInfo``.
    /// With `tls` every listener serves HTTPS (HTTP/1.1) and every reported URL starts `https://`.
    public static func start(
        _ config: SimulatorConfig, host: String = "127.0.0.1", portBase: Int? = nil,
        revealOperatorSecrets: Bool = false, logger: Logger? = nil, tls: SimulatorTLS? = nil
    ) async throws -> Simulator {
        let names = [World.controlPlane] + config.clusters.map(\.id)
        if let portBase {
            // Ports below 1024 need privileges, and every listener's port must exist (no wrap-around to 0, 1, …).
            let last = 65535 - names.count + 1
            guard (1024...max(1024, last)).contains(portBase), last >= 1024 else {
                throw SimulatorError(
                    .invalidConfig,
                    "--port-base \(portBase): the simulator needs \(names.count) consecutive ports (the control plane "
                        + "and \(config.clusters.count) clusters), all within 1024…65535; give a port base from 1024 "
                        + "to \(last)")
            }
        }
        let addresses = try config.listenerAddresses(names: names, defaultHost: host)
        let world = try World(config: config, clock: { Date().timeIntervalSince1970 })
        let tlsConfiguration = try tls?.serverConfiguration()
        var quiet = logger ?? Logger(label: "jumpchain.simulator")
        if logger == nil { quiet.logLevel = .critical }
        var listeners: [Listener.Running] = []
        var ports: [String: Int] = [:]
        do {
            for (index, name) in names.enumerated() {
                let address = addresses[name] ?? ListenerAddress(host: host)
                let started = try await Listener.start(
                    name: name, world: world, host: address.host,
                    port: address.port ?? portBase.map { $0 + index } ?? 0,
                    tls: tlsConfiguration, logger: quiet)
                listeners.append(started)
                ports[name] = started.port
            }
        } catch {
            for listener in listeners { await listener.stop() }
            throw error
        }
        let scheme = tls == nil ? "http" : "https"
        func url(_ name: String) -> String {
            "\(scheme)://\((addresses[name] ?? ListenerAddress(host: host)).urlHost):\(ports[name]!)"
        }
        let controlURL = url(World.controlPlane)
        var clusterURLs: [String: String] = [:]
        for cluster in config.clusters { clusterURLs[cluster.id] = url(cluster.id) }
        let info = world.state.withLock { state -> SimulatorConnectionInfo in
            state.controlPlaneURL = controlURL
            state.clusterURLs = clusterURLs
            return state.connectionInfo(ports: ports, revealOperatorSecrets: revealOperatorSecrets)
        }
        // tickIntervalSeconds <= 0 means manual time: only ``tick(now:)`` advances the world.
        var ticker: Task<Void, any Error>?
        if config.timing.tickIntervalSeconds > 0 {
            let interval = max(0.005, config.timing.tickIntervalSeconds)
            ticker = Task {
                while !Task.isCancelled {
                    world.tick()
                    try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
                }
            }
        }
        var bootstraps: [String: String] = [:]
        world.state.withLock { state in
            for (id, cluster) in state.clusters { bootstraps[id] = cluster.bootstrap }
        }
        return Simulator(
            world: world, listeners: listeners, ticker: ticker, controlPlaneURL: controlURL, ports: ports,
            clusterURLs: clusterURLs,
            bootstraps: bootstraps, connectionInfo: info)
    }

    /// `http://host:port` (`https://` with TLS) of cluster `clusterID`'s REST listener (paths start `/kafka/v3/...`).
    public func clusterRESTURL(clusterID: String) -> String { clusterURLs[clusterID] ?? "" }

    /// The fake Kafka bootstrap of `clusterID`, e.g. `lkc-origin.sim.local:9092`.
    public func bootstrap(clusterID: String) -> String { bootstraps[clusterID] ?? "" }

    /// Stops the listeners and the ticker and waits for them to finish.
    ///
    /// Requests a blackhole holds see the stop and let go of their connections (within 50 ms; a bounded wait of
    /// at most a second); then each listener shuts down gracefully (``Listener/Running/stop()``) and every
    /// connection still open is closed, so no client waits for its own timeout (a connection accepted but not yet
    /// handled is closed too).
    public func stop() async {
        let (listeners, ticker) = running.withLock { running in
            defer { running = ([], nil) }
            return running
        }
        world.state.withLock { $0.stopped = true }
        let bound = ContinuousClock.now + .seconds(1)
        while world.state.withLock({ $0.heldRequests.values.contains { $0 > 0 } }), ContinuousClock.now < bound {
            try? await Task.sleep(for: .milliseconds(10))
        }
        ticker?.cancel()
        await withTaskGroup(of: Void.self) { stops in
            for listener in listeners { stops.addTask { await listener.stop() } }
        }
        _ = await ticker?.result
    }

    /// Advances the world to `now` (seconds since 1970) by hand: producers, replication, provisioning.
    public func tick(now: Double) {
        world.state.withLock { $0.tick(now: now) }
    }

    /// Replaces the fault settings (the same as `POST /sim/v1/faults`).
    public func setFaults(_ faults: FaultSettings) {
        world.state.withLock { state in
            if faults.seed != state.faults.seed { state.dice = SeededGenerator(seed: faults.seed) }
            state.faults = faults
            state.rateWindows = [:]
        }
    }

    /// How many requests to `listener` (`control-plane` or a cluster id) a blackhole holds right now: a test
    /// knows a process is stuck at a precise request before it kills it.
    public func heldRequests(listener: String) -> Int {
        world.state.withLock { $0.heldRequests[listener] ?? 0 }
    }

    /// Pauses (or resumes) every producer (the same as `POST /sim/v1/producers {"paused": …}`): the operator
    /// stopping producers before a cutover. Consumers keep committing.
    public func setProducersPaused(_ paused: Bool) {
        world.state.withLock { $0.producersPaused = paused }
    }

    /// Deletes the ACL bindings of `principal` on `resourceType`/`resourceName` of a cluster, as an
    /// administrator revoking a grant behind jumpchain's back would; returns how many were removed.
    @discardableResult
    public func removeACLs(clusterID: String, principal: String, resourceType: String, resourceName: String) -> Int {
        world.state.withLock { state in
            guard var cluster = state.clusters[clusterID] else { return 0 }
            let before = cluster.acls.count
            cluster.acls.removeAll {
                $0.principal == principal && $0.resourceType == resourceType && $0.resourceName == resourceName
            }
            state.clusters[clusterID] = cluster
            return before - cluster.acls.count
        }
    }

    /// The current world as the JSON text `GET /sim/v1/state` returns.
    public func stateJSON() -> String {
        let now = world.clock()
        return world.state.withLock { $0.stateJSON(now: now).text }
    }

    /// Writes ``connectionInfo`` as JSON to `path` with mode 0600 (it may hold secrets), whole: it is written beside
    /// `path` and renamed into place, so a reader that sees the file (a test, a script waiting for it) reads all of it.
    public func writeConnectionInfo(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try encoder.encode(connectionInfo) } catch {
            throw SimulatorError(.io, "could not encode the connection info", cause: error)
        }
        let staging = path + ".\(getpid()).partial"
        // A new file of our own, never one found there (a symlink planted in a shared directory would redirect the
        // secrets): a leftover of a process that had our pid is removed (the link itself, not what it points to).
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var fd = open(staging, flags, 0o600)
        if fd < 0, errno == EEXIST, unlink(staging) == 0 { fd = open(staging, flags, 0o600) }
        guard fd >= 0 else { throw SimulatorError(.io, "could not create \(staging) (errno \(errno))") }
        _ = fchmod(fd, 0o600)
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let writeErrno = errno
        close(fd)
        guard written == data.count else {
            unlink(staging)
            throw SimulatorError(.io, "could not write \(staging) (errno \(writeErrno))")
        }
        guard rename(staging, path) == 0 else {
            let renameErrno = errno
            unlink(staging)
            throw SimulatorError(.io, "could not move \(staging) to \(path) (errno \(renameErrno))")
        }
    }
}

extension WorldState {
    func connectionInfo(ports: [String: Int], revealOperatorSecrets: Bool) -> SimulatorConnectionInfo {
        // Operators: admins, and users holding an operator's roles (a least-privilege world's operator).
        let admins = principals.values.filter {
            $0.admin || (!$0.isServiceAccount && ($0.keyAdmin || !$0.clusterAdmin.isEmpty))
        }.map(\.id).sorted()
        let operatorKeys = keyOrder.compactMap { keys[$0] }.filter {
            revealOperatorSecrets && admins.contains($0.owner)
        }
        .map { SimulatorConnectionInfo.Key(id: $0.id, secret: $0.secret, owner: $0.owner, resource: $0.resource) }
        return SimulatorConnectionInfo(
            controlPlaneURL: controlPlaneURL, controlPlanePort: ports[World.controlPlane] ?? 0,
            stateURL: controlPlaneURL + "/sim/v1/state", faultsURL: controlPlaneURL + "/sim/v1/faults",
            organization: organization, environments: environments,
            clusters: clusterOrder.compactMap { clusters[$0] }.map {
                SimulatorConnectionInfo.Cluster(
                    id: $0.id, name: $0.name, environment: $0.environment, network: $0.network,
                    restURL: clusterURLs[$0.id] ?? "", bootstrap: $0.bootstrap, port: ports[$0.id] ?? 0)
            },
            operators: admins, operatorKeys: operatorKeys)
    }
}
