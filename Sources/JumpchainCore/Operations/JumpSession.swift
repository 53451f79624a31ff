import ConfluentAPI
import Foundation
import JumpchainHTTP
import Workflow

/// Operator access to the public jump cluster through a short-lived *session key*.
///
/// The jump must hold no API key but the one its links hold. A run that has to call the jump mints a key
/// owned by the operator's principal, tagged in its description with the run's name, uses it, and revokes
/// it before it exits (``close()``). A session key left by a crashed run carries the same tag and is
/// revoked by the next run's ``sweepStale()``; a key whose tag names a session that is still live (its
/// ``SessionLease``, e.g. a concurrent `verify --inspect-jump` of the same run) is left to it.
actor JumpSession {
    static func tag(runName: String) -> String { "jumpchain-session run=\(runName)" }

    /// The session nonce a key's description names (`session=<nonce>`), if any.
    static func nonce(in description: String?) -> String? {
        guard let description, let range = description.range(of: " session=") else { return nil }
        let nonce = description[range.upperBound...].prefix { $0.isHexDigit }
        return nonce.isEmpty ? nil : String(nonce)
    }

    private let controlPlane: ControlPlaneClient
    private let http: HTTPClient
    private let jump: PlaybookCluster
    private let runName: String
    private let timing: RolloutTiming
    private let operatorCredential: APICredential?
    private let retrySummary: (@Sendable (RetrySummary) -> Void)?
    private let claim: SessionClaim
    /// The nonce the minted key's tag names (read from ``claim`` at the mint, which takes the session's lease).
    private var mintedNonce: String?
    private var session: (client: KafkaRESTClient, keyID: String?, credential: APICredential)?
    /// Whether ``session``'s key works on the jump: a minted key is recorded (so ``close()`` revokes it) before
    /// it has propagated, and a caller arriving meanwhile waits for the mint in flight instead of using it.
    private var ready = false
    private var operatorPrincipal: String?
    /// Ids of keys this process minted; reported so tests can prove they were revoked.
    private(set) var mintedKeyIDs: [String] = []
    /// Set once ``sweepStale()`` has revoked what crashed processes left: a run closes its session before it is
    /// recorded as succeeded and again on its way out, and the second close need not list the keys again.
    private var swept = false
    /// The mint in flight, shared by every caller that needs the session before it exists.
    private var opening: Task<KafkaRESTClient, any Error>?

    init(
        controlPlane: ControlPlaneClient, http: HTTPClient, jump: PlaybookCluster, runName: String,
        timing: RolloutTiming, operatorCredential: APICredential?,
        retrySummary: (@Sendable (RetrySummary) -> Void)? = nil, claim: SessionClaim = .none
    ) {
        self.retrySummary = retrySummary
        self.claim = claim
        self.controlPlane = controlPlane
        self.http = http
        self.jump = jump
        self.runName = runName
        self.timing = timing
        self.operatorCredential = operatorCredential
    }

    /// The principal that owns the operator's Cloud API key (`u-…` or `sa-…`).
    func principal() async throws -> String {
        if let operatorPrincipal { return operatorPrincipal }
        let cloudKey = controlPlane.endpoint.credential.key
        do {
            guard let key = try await controlPlane.apiKey(cloudKey), let owner = key.spec.owner?.id else {
                throw StepError.permanent(
                    "control plane: cannot read the owner of Cloud API key \(cloudKey); the operator key must be able "
                        + "to read itself (GET /iam/v2/api-keys/\(cloudKey))")
            }
            operatorPrincipal = owner
            return owner
        } catch let error as ConfluentAPIError {
            throw StepError.from(error)
        }
    }

    /// A Kafka REST client for the jump with operator rights, minting the session key on first use.
    ///
    /// Steps that start together (after a resume, several first uses at once) share one mint: the actor gives
    /// up its turn while the key is created, so later callers wait for that mint instead of minting their own.
    func client(report: (@Sendable (String) -> Void)? = nil) async throws -> KafkaRESTClient {
        if let session, ready { return session.client }
        if let operatorCredential {
            let client = makeClient(operatorCredential, label: "jump (\(jump.id)) Kafka REST")
            session = (client, nil, operatorCredential)
            ready = true
            return client
        }
        var failed: Task<KafkaRESTClient, any Error>?
        while true {
            if let session, ready { return session.client }
            if let opening, opening != failed {
                do {
                    return try await opening.value
                } catch {
                    // The caller that minted was stopped or failed: mint here (or meet the next mint) instead.
                    failed = opening
                    try Task.checkCancellation()
                    continue
                }
            }
            let task = Task { try await self.mint(report: report) }
            opening = task
            defer { if opening == task { opening = nil } }
            return try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        }
    }

    /// Mints the session key and waits until it works.
    private func mint(report: (@Sendable (String) -> Void)?) async throws -> KafkaRESTClient {
        let owner = try await principal()
        let created: ControlPlaneClient.CreatedKey
        let nonce = claim.nonce
        mintedNonce = nonce
        do {
            created = try await controlPlane.createAPIKey(
                owner: owner, resource: jump.id, environment: jump.environment,
                displayName: "jumpchain session \(runName)",
                description: "\(Self.tag(runName: runName))\(nonce.map { " session=\($0)" } ?? "") "
                    + "pid=\(getpid()); revoked when the run ends")
        } catch {
            throw StepError.from(error, hint: "Could not mint a session key for the jump")
        }
        mintedKeyIDs.append(created.key.id)
        let client = makeClient(created.credential, label: "jump (\(jump.id)) Kafka REST")
        session = (client, created.key.id, created.credential)
        try await KeyPropagation.wait(
            for: client, keyID: created.key.id, controlPlane: controlPlane, timing: timing, purpose: "session key",
            report: report)
        ready = session?.keyID == created.key.id
        return client
    }

    /// Revokes session keys of this run left behind by a crashed process (or by this one, when revoking its own
    /// key failed); the key of a session that still holds its lease (another live process of this run) is its
    /// own to revoke. A key that cannot be revoked after every retry is kept in ``unrevoked``.
    func sweepStale() async throws {
        if swept { return }
        let owner = try await principal()
        let keys: [APIKey]
        do {
            keys = try await controlPlane.listAPIKeys(owner: owner, resource: jump.id)
        } catch {
            throw StepError.from(error)
        }
        for key in keys where key.spec.description?.hasPrefix(Self.tag(runName: runName) + " ") == true {
            if key.id == session?.keyID { continue }
            if let other = Self.nonce(in: key.spec.description), other != mintedNonce, claim.isLive(other) { continue }
            await revoke(key.id)
        }
        swept = unrevoked.isEmpty
    }

    /// Revokes the session key (if one was minted) and wipes its secret. Safe to call more than once.
    func close() async {
        guard let session else { return }
        self.session = nil
        ready = false
        if let keyID = session.keyID {
            await revoke(keyID)
            session.credential.secret.wipe()
        }
    }

    /// Session keys (id → last error) still live because every attempt to revoke them failed: the run that
    /// minted or swept them must not be recorded as succeeded.
    private(set) var unrevoked: [String: String] = [:]
    /// Failures of ``unrevoked`` already handed to a caller by ``takeUnrevoked()``.
    private var reported: Set<String> = []

    /// The keys of ``unrevoked`` not handed out before (each failure is reported once).
    func takeUnrevoked() -> [String: String] {
        let fresh = unrevoked.filter { !reported.contains($0.key) }
        reported.formUnion(fresh.keys)
        return fresh
    }

    /// Revokes `keyID`, with rounds of retries on top of the client's own: the invariant is that no session key
    /// outlives the run. Records the outcome in ``unrevoked``.
    private func revoke(_ keyID: String) async {
        unrevoked[keyID] = await Self.revoke(keyID, through: controlPlane)
    }

    /// Revokes `keyID` with rounds of retries on top of the client's own (a session key, or a link key no link
    /// holds): nil once revoked, else the last error.
    static func revoke(_ keyID: String, through controlPlane: ControlPlaneClient) async -> String? {
        var failure: String?
        for round in 0..<3 {
            if round > 0 { try? await Task.sleep(for: .milliseconds(200)) }
            do {
                try await controlPlane.deleteAPIKey(keyID)
                return nil
            } catch {
                failure = error.message
            }
        }
        return failure ?? "not revoked"
    }

    private func makeClient(_ credential: APICredential, label: String) -> KafkaRESTClient {
        KafkaRESTClient(
            endpoint: APIEndpoint(
                http: http, baseURL: jump.restEndpoint, credential: credential, label: label,
                retrySummary: retrySummary),
            clusterID: jump.id)
    }
}

/// Waiting until a new cluster key works: Confluent propagates a key in about two minutes and answers 401
/// (sometimes 403, before the owner's ACLs reach the brokers) until then, so both count as "still
/// propagating" within the bounded wait. Two consecutive successes are required, as Confluent's Terraform
/// provider does. Checks start 100 ms apart and slow down to the poll interval
/// (``RolloutTiming/keyPollDelay(elapsed:)``).
///
/// A key revoked meanwhile (a concurrent sweep, an operator) answers 401 for good: while it answers 401, the
/// control plane is asked whether the key still exists (at most once a poll interval, from one interval after the
/// wait started: a key that propagates at once costs no lookup), and a key it twice in a row no longer has
/// (`GET /iam/v2/api-keys/{id}` 404) fails the wait at once, naming it. A 403 tells nothing: Cloud answers it for a
/// key deleted moments ago and for a key the caller may not read (an operator that may create keys but not read
/// them), so the wait goes on (bounded), as after a lookup that failed.
enum KeyPropagation {
    static func wait(
        for client: KafkaRESTClient, keyID: String, controlPlane: ControlPlaneClient, timing: RolloutTiming,
        purpose: String, report: (@Sendable (String) -> Void)?
    ) async throws {
        var successes = 0
        var lookedUp = ContinuousClock.now
        var gone = 0
        _ = try await poll(
            after: timing.keyPollDelay(elapsed:), timeout: timing.keyPropagationTimeout,
            waitingFor: "\(purpose) \(keyID) to propagate to \(client.clusterID)", report: report
        ) { () async throws -> PollResult<Bool> in
            do {
                _ = try await client.listTopics()
                successes += 1
                return successes >= 2 ? .done(true) : .waiting("1 of 2 checks passed")
            } catch let error as ConfluentAPIError where isPropagating(error) {
                successes = 0
                if error.code == .unauthorized, lookedUp.duration(to: .now) >= timing.keyPollInterval {
                    lookedUp = .now
                    do {
                        gone = try await controlPlane.apiKey(keyID, forbiddenIsGone: false) == nil ? gone + 1 : 0
                    } catch {
                        // A lookup that fails (the control plane busy or unreachable) or answers 403 (a deleted key,
                        // or one the caller may not read) tells nothing: the wait goes on, and "twice in a row" starts
                        // over.
                        gone = 0
                    }
                    if gone >= 2 { throw revoked(keyID, purpose: purpose, cluster: client.clusterID) }
                }
                return .waiting("still \(error.code == .forbidden ? 403 : 401)")
            } catch let error as ConfluentAPIError {
                throw StepError.from(error)
            }
        }
    }

    /// What ``wait(for:keyID:controlPlane:timing:purpose:report:)`` sends for the `purpose` key on `cluster`.
    static func preview(_ playbook: Playbook, on cluster: PlaybookCluster, purpose: String) -> [PreviewRequest] {
        [
            .kafka(cluster, "GET", "/topics", "as the \(purpose) until it works (propagation)"),
            .cloud(playbook, "GET", "/iam/v2/api-keys/<\(purpose)>", "(while it answers 401: whether it still exists)"),
        ]
    }

    /// The failure of a wait for a key the control plane no longer has: it will never work.
    static func revoked(_ keyID: String, purpose: String, cluster: String) -> StepFailure {
        StepError.permanent(
            "\(purpose) \(keyID) was revoked before it worked on \(cluster): the control plane no longer has it "
                + "(GET /iam/v2/api-keys/\(keyID) answers 404), so its 401s will not end; another jumpchain "
                + "process's sweep or an operator deleted it. Run the command again (`resume` for a run): it mints "
                + "a new key")
    }

    /// A 401 or 403 from a key minted moments ago.
    static func isPropagating(_ error: ConfluentAPIError) -> Bool {
        error.code == .unauthorized || error.code == .forbidden
    }

    /// Runs a link create that validates a freshly minted key, retrying while the server rejects it for an
    /// authentication reason (the key has not reached every broker yet), within the propagation wait.
    static func retryingAuthentication(
        timing: RolloutTiming, purpose: String, report: (@Sendable (String) -> Void)?,
        _ body: () async throws -> Void
    ) async throws {
        _ = try await poll(
            after: timing.keyPollDelay(elapsed:), timeout: timing.keyPropagationTimeout,
            waitingFor: "\(purpose) to accept the new key", report: report
        ) { () async throws -> PollResult<Bool> in
            do {
                try await body()
                return .done(true)
            } catch let error as ConfluentAPIError where error.code == .badRequest && isAuthenticationReason(error) {
                return .waiting("validation failed for an authentication reason")
            }
        }
    }

    /// Whether a 400 from a link create names authentication as the reason.
    static func isAuthenticationReason(_ error: ConfluentAPIError) -> Bool {
        let text = error.message.uppercased()
        return text.contains("AUTHENTICATION") || text.contains("SASL")
    }
}
