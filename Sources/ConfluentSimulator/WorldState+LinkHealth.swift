import Foundation

/// How a link's connection and credentials are judged, every time it is shown or replicates.
extension WorldState {
    /// Parses `...PlainLoginModule required username="K" password="S";` into (K, S).
    static func parseJAAS(_ value: String?) -> (key: String, secret: String)? {
        guard let value else { return nil }
        func field(_ name: String) -> String? {
            guard let start = value.range(of: name + "=\"") else { return nil }
            guard let end = value[start.upperBound...].firstIndex(of: "\"") else { return nil }
            return String(value[start.upperBound..<end])
        }
        guard let key = field("username"), let secret = field("password") else { return nil }
        return (key, secret)
    }

    /// Health of the link half `name` on `clusterID` (both halves of a source-initiated link agree).
    func linkHealth(clusterID: String, name: String, now: Double) -> LinkHealth {
        guard let cluster = clusters[clusterID], let half = cluster.links[name] else {
            return LinkHealth(state: "UNKNOWN", error: "UNKNOWN", message: "no such link")
        }
        switch (half.linkMode, half.connectionMode) {
        case ("SOURCE", _):
            guard let destination = clusters[half.remoteClusterID],
                let peer = destination.links[name], peer.linkMode == "DESTINATION", peer.connectionMode == "INBOUND",
                peer.clusterLinkID == half.clusterLinkID
            else {
                return LinkHealth(
                    state: "FAILED", error: "UNKNOWN",
                    message:
                        "The destination half of cluster link '\(name)' does not exist on cluster \(half.remoteClusterID)"
                )
            }
            return sourceInitiatedHealth(source: cluster, half: half, destination: destination, now: now)
        case (_, "INBOUND"):
            guard let source = clusters[half.remoteClusterID], let peer = source.links[name],
                peer.linkMode == "SOURCE", peer.clusterLinkID == half.clusterLinkID
            else {
                return LinkHealth(
                    state: "UNAVAILABLE", error: "NO_ERROR",
                    message:
                        "Waiting for the source cluster \(half.remoteClusterID) to create the source half of link '\(name)'"
                )
            }
            return sourceInitiatedHealth(source: source, half: peer, destination: cluster, now: now)
        default:
            return destinationInitiatedHealth(destination: cluster, half: half, now: now)
        }
    }

    /// Checks bootstrap, reachability from `from` to `to` and a blackholed remote.
    func connectionProblem(from: ClusterState, to remoteID: String, bootstrap: String?) -> LinkHealth? {
        guard let named = clusterForBootstrap(bootstrap) else {
            return LinkHealth(
                state: "FAILED", error: "UNRESOLVABLE_BOOTSTRAP_ERROR",
                message: "Unable to resolve bootstrap.servers '\(bootstrap ?? "")'")
        }
        guard named.id == remoteID, let remote = clusters[remoteID] else {
            return LinkHealth(
                state: "FAILED", error: "UNRESOLVABLE_BOOTSTRAP_ERROR",
                message: "bootstrap.servers '\(bootstrap ?? "")' is cluster \(named.id), not \(remoteID)")
        }
        if faults.blackholed.contains(remote.id) {
            return LinkHealth(
                state: "FAILED", error: "TIMEOUT_ERROR",
                message: "Timed out connecting to \(remote.bootstrap) from cluster \(from.id)")
        }
        if !reachable(from: from, to: remote) {
            let origin = from.network.map { "private network \($0)" } ?? "the public internet"
            return LinkHealth(
                state: "FAILED", error: "BOOTSTRAP_TCP_CONNECTION_FAILED_ERROR",
                message:
                    "Cluster \(from.id) (in \(origin)) cannot open a TCP connection to \(remote.bootstrap): cluster "
                    + "\(remote.id) is private in network \(remote.network ?? "?") and no shared network or READY "
                    + "network link endpoint connects them")
        }
        return nil
    }

    /// Why a credential does not authenticate to `clusterID`, or nil when it does.
    func credentialProblem(_ jaas: String?, clusterID: String, now: Double, side: String) -> String? {
        guard let credential = Self.parseJAAS(jaas) else {
            return "No usable \(side) sasl.jaas.config: expected PlainLoginModule username/password"
        }
        guard authenticate(credential, resource: clusterID, now: now) != nil else {
            return "Please check your api key and secret: \(side) credentials are not a live API key for \(clusterID)"
        }
        return nil
    }

    private func destinationInitiatedHealth(destination: ClusterState, half: LinkHalf, now: Double) -> LinkHealth {
        let remoteKey = Self.parseJAAS(half.configs["sasl.jaas.config"])?.key
        if var problem = connectionProblem(
            from: destination, to: half.remoteClusterID, bootstrap: half.configs["bootstrap.servers"])
        {
            problem.remoteKeyID = remoteKey
            return problem
        }
        if let message = credentialProblem(
            half.configs["sasl.jaas.config"], clusterID: half.remoteClusterID, now: now, side: "remote")
        {
            return LinkHealth(state: "FAILED", error: "AUTHENTICATION_ERROR", message: message, remoteKeyID: remoteKey)
        }
        let reader = remoteKey.flatMap { keys[$0]?.owner }
        return LinkHealth(
            state: "ACTIVE", error: "NO_ERROR", message: nil, remoteKeyID: remoteKey, readerPrincipal: reader)
    }

    private func sourceInitiatedHealth(
        source: ClusterState, half: LinkHalf, destination: ClusterState, now: Double
    ) -> LinkHealth {
        let remoteKey = Self.parseJAAS(half.configs["sasl.jaas.config"])?.key
        let localKey = Self.parseJAAS(half.configs["local.sasl.jaas.config"])?.key
        func failed(_ error: String, _ message: String) -> LinkHealth {
            LinkHealth(state: "FAILED", error: error, message: message, remoteKeyID: remoteKey, localKeyID: localKey)
        }
        if let problem = connectionProblem(
            from: source, to: destination.id, bootstrap: half.configs["bootstrap.servers"])
        {
            return failed(problem.error, problem.message ?? "")
        }
        if let message = credentialProblem(
            half.configs["sasl.jaas.config"], clusterID: destination.id, now: now, side: "remote")
        {
            return failed("AUTHENTICATION_ERROR", message)
        }
        if let owner = remoteKey.flatMap({ keys[$0]?.owner }),
            !authorized(owner, cluster: destination.id, "ALTER", "CLUSTER", "kafka-cluster", adminBypass: false)
        {
            return failed(
                "AUTHENTICATION_ERROR",
                "Principal User:\(owner) is not authorized: ALTER on CLUSTER kafka-cluster of \(destination.id) is required"
            )
        }
        if let message = credentialProblem(
            half.configs["local.sasl.jaas.config"], clusterID: source.id, now: now, side: "local")
        {
            return failed("AUTHENTICATION_ERROR", message)
        }
        var health = LinkHealth(
            state: "ACTIVE", error: "NO_ERROR", message: nil, remoteKeyID: remoteKey, localKeyID: localKey)
        // The source half pushes what its local key can read: that key's owner needs READ on the source topics.
        health.readerPrincipal = localKey.flatMap { keys[$0]?.owner }
        health.readerIsLocal = true
        return health
    }

    /// The cluster holding the source topics of the mirrors of link `name` on `destinationID`.
    func sourceCluster(ofLink name: String, on destinationID: String) -> ClusterState? {
        guard let half = clusters[destinationID]?.links[name] else { return nil }
        return clusters[half.remoteClusterID]
    }

    /// Whether a mirror on link `name` may read `topic` at the source: the owner of the link key of a
    /// destination-initiated link, or of the local key of a source-initiated one, needs READ on it.
    func linkMayRead(_ health: LinkHealth, sourceClusterID: String, topic: String) -> Bool {
        guard let reader = health.readerPrincipal else { return true }
        return authorized(reader, cluster: sourceClusterID, "READ", "TOPIC", topic, adminBypass: health.readerIsLocal)
    }
}
