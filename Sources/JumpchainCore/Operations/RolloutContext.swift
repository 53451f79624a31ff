public import ConfluentAPI
import Foundation
public import JumpchainHTTP

/// Everything a rollout's steps talk to: the playbook, resolved credentials, API clients, the jump session.
public final class RolloutContext: Sendable {
    public let playbook: Playbook
    public let credentials: RolloutCredentials
    public let http: HTTPClient
    public let controlPlane: ControlPlaneClient
    public let origin: KafkaRESTClient
    public let target: KafkaRESTClient
    public let timing: RolloutTiming
    public let runName: String
    /// The site this process runs at (`--site`) in a multi-site run; nil runs every step here.
    public let site: String?
    let jumpSession: JumpSession
    /// Mirror observation by listing, shared by every step and the verification of this context.
    public let mirrorListings = MirrorListings()
    /// Receives one summary line per request that needed transport retries (never one per attempt).
    let retryObserver: (@Sendable (String) -> Void)?

    /// One pacer per process: every context (rollout, verification, update, teardown) shares what it learnt
    /// of each cluster's unknown rate limit.
    static let pacer = RequestPacer()

    public convenience init(
        playbook: Playbook, credentials: RolloutCredentials, runName: String, timing: RolloutTiming,
        http: HTTPClient? = nil, retryObserver: (@Sendable (String) -> Void)? = nil,
        requestLog: (@Sendable (RequestLogEntry) -> Void)? = nil, site: String? = nil
    ) {
        self.init(
            playbook: playbook, credentials: credentials, runName: runName, timing: timing, http: http,
            retryObserver: retryObserver, requestLog: requestLog, site: site, claim: .none)
    }

    /// `claim`: the session's nonce and lease (``SessionLease``), which keep a concurrent session's sweep off its key.
    init(
        playbook: Playbook, credentials: RolloutCredentials, runName: String, timing: RolloutTiming,
        http: HTTPClient?, retryObserver: (@Sendable (String) -> Void)?,
        requestLog: (@Sendable (RequestLogEntry) -> Void)?, site: String?, claim: SessionClaim
    ) {
        self.playbook = playbook
        self.credentials = credentials
        let http =
            http
            ?? HTTPClient(
                configuration: HTTPClient.Configuration(
                    timeout: timing.httpTimeout, maxConnectionsPerHost: playbook.concurrency.perCluster,
                    pacer: Self.pacer, requestLog: requestLog))
        self.http = http
        self.timing = timing
        self.runName = runName
        self.site = site
        self.retryObserver = retryObserver
        let summary: @Sendable (RetrySummary) -> Void = { retryObserver?("retried \($0)") }
        func endpoint(_ url: String, _ credential: APICredential, _ label: String) -> APIEndpoint {
            APIEndpoint(
                http: http, baseURL: url, credential: credential, label: label,
                retry: RetryPolicy(maxAttempts: timing.httpAttempts), retrySummary: summary)
        }
        controlPlane = ControlPlaneClient(
            endpoint: endpoint(playbook.controlPlane.endpoint, credentials.cloud, "control plane"))
        origin = KafkaRESTClient(
            endpoint: endpoint(
                playbook.origin.restEndpoint, credentials.origin, "origin (\(playbook.origin.id)) Kafka REST"),
            clusterID: playbook.origin.id)
        target = KafkaRESTClient(
            endpoint: endpoint(
                playbook.target.restEndpoint, credentials.target, "target (\(playbook.target.id)) Kafka REST"),
            clusterID: playbook.target.id)
        jumpSession = JumpSession(
            controlPlane: controlPlane, http: http, jump: playbook.jump,
            // Each site's session keys are its own: a site sweeping stale keys leaves a running site's alone.
            runName: site.map { "\(runName) site=\($0)" } ?? runName, timing: timing,
            operatorCredential: credentials.jump, retrySummary: summary, claim: claim)
    }

    /// Operator access to the jump (a session key, minted on first use).
    public func jump(report: (@Sendable (String) -> Void)? = nil) async throws -> KafkaRESTClient {
        try await jumpSession.client(report: report)
    }

    /// Revokes the session key and (with `sweepStale`) any left by crashed runs of this run; wipes the
    /// operator secrets. Call on every exit path: success, failure and interruption. ``RunSession`` does.
    ///
    /// Returns the session keys (id → last error) that stay live because every attempt to revoke them failed,
    /// each once: a run that leaves one must not count as succeeded (``RunSession/unrevoked(_:run:next:)``).
    @discardableResult
    public func close(sweepStale: Bool = true) async -> [String: String] {
        // Also after Ctrl-C or an expired --timeout: the revocations must reach the control plane.
        let session = jumpSession
        return await Interruption.shielded {
            // Listing fails only when the control plane does not answer: no key is known to be left then.
            if sweepStale { try? await session.sweepStale() }
            await session.close()
            return await session.takeUnrevoked()
        }
    }

    /// Keys this process minted as session keys (for tests and the summary).
    public func sessionKeyIDs() async -> [String] { await jumpSession.mintedKeyIDs }

    /// The link key's description tag: lets a later run find keys this run minted.
    public var linkKeyTag: String { "jumpchain-link-key run=\(runName)" }

    /// The description prefix of a link key: the run's tag, plus `leg=<leg>` for a multi-site run's per-leg key.
    /// Always ends in `;`, so one leg's prefix never matches the other's.
    public func linkKeyTag(leg: String?) -> String {
        leg.map { "\(linkKeyTag) leg=\($0);" } ?? "\(linkKeyTag);"
    }

    /// Whether a key's description marks it as one of this run's link keys (the single key or a per-leg one).
    public func isLinkKey(_ description: String?) -> Bool {
        guard let description else { return false }
        return description.hasPrefix(linkKeyTag + ";") || description.hasPrefix(linkKeyTag + " leg=")
    }

    /// The origin link key's description tag: lets a later run find origin keys this run minted. Not a prefix
    /// of ``linkKeyTag`` (nor the other way round).
    public var originKeyTag: String { "jumpchain-origin-link-key run=\(runName)" }

    /// Tells the operator something worth knowing that is not an error (printed on standard error by the CLI).
    func notice(_ text: String) { retryObserver?(text) }

    /// One line per request that needed retries, for ``retryObserver``.
    var retrySummary: @Sendable (RetrySummary) -> Void {
        let observer = retryObserver
        return { summary in observer?("retried \(summary)") }
    }

    /// Fails the target's mirror `name` (of leg 2, now `status`) over unless that is under way already, and waits
    /// until it is STOPPED or FAILED (or gone): it stays on the target as a normal, writable topic with its data.
    /// How `destroy --target-topics keep` and an update's `--prune` end a target mirror.
    func failOverTargetMirror(
        _ name: String, status: String, report: @escaping @Sendable (String) -> Void
    ) async throws {
        let link = playbook.link.leg2Name
        if status != "PENDING_STOPPED" {
            let results = try await target.alterMirrors(link: link, action: .failover, topics: [name])
            if let failure = results.first(where: { $0.errorCode != nil && $0.errorCode != 0 }) {
                throw StepError.permanent(
                    "target \(target.clusterID): failover of \(name) refused: "
                        + "\(failure.errorMessage ?? "error \(failure.errorCode ?? 0)")")
            }
        }
        _ = try await poll(
            every: timing.statePollInterval, timeout: timing.mirrorActiveTimeout,
            waitingFor: "mirror \(name) on the target to be STOPPED (failed over)", report: report
        ) { () async throws -> PollResult<Bool> in
            guard let now = try await target.mirror(link: link, topic: name) else { return .done(true) }
            return ["STOPPED", "FAILED"].contains(now.mirrorStatus) ? .done(true) : .waiting(now.mirrorStatus)
        }
    }

    /// A client for the jump authenticated as the link key itself (to check the key works).
    func jumpClient(as credential: APICredential) -> KafkaRESTClient {
        client(playbook.jump, as: credential, "link key")
    }

    /// A client for the origin authenticated as the origin link key itself (to check the key works).
    func originClient(as credential: APICredential) -> KafkaRESTClient {
        client(playbook.origin, as: credential, "origin link key")
    }

    /// A client for `cluster` authenticated as `credential`, the `what` key (named in its messages).
    private func client(_ cluster: PlaybookCluster, as credential: APICredential, _ what: String) -> KafkaRESTClient {
        KafkaRESTClient(
            endpoint: APIEndpoint(
                http: http, baseURL: cluster.restEndpoint, credential: credential,
                label: "\(cluster.role.rawValue) (\(cluster.id)) Kafka REST as \(what) \(credential.key)",
                retrySummary: retrySummary),
            clusterID: cluster.id)
    }
}
