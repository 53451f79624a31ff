import ConfluentAPI
import Foundation
import JumpchainHTTP
import Workflow

/// The one way every operation (rollout, teardown, status, verify, plan) sets up its context and gives it
/// back: credentials resolved into memory, API clients built, and on every exit path — success, failure,
/// interruption — the jump session key revoked (with any a crashed process of the same run left behind)
/// and every operator secret wiped.
enum RunSession {
    /// Resolves the playbook's credentials and builds the clients for `runName`.
    static func makeContext(
        _ playbook: Playbook, runName: String, options: Rollout.Options, claim: SessionClaim = .none
    ) throws(JumpchainError) -> RolloutContext {
        let site = try options.site.flatMap { name throws(JumpchainError) -> PlaybookSite? in
            playbook.siteList.isEmpty ? nil : try playbook.site(named: name)
        }
        let credentials = try RolloutCredentials.resolve(
            playbook, environment: options.environment,
            stdin: options.stdin ?? StdinSecrets(order: playbook.stdinOrder), site: site)
        RolloutContext.pacer.observe(options.pacingLog)
        return RolloutContext(
            playbook: playbook, credentials: credentials, runName: runName, timing: options.timing,
            http: nil, retryObserver: options.notice, requestLog: options.requestLog,
            site: playbook.siteList.isEmpty ? nil : options.site, claim: claim)
    }

    /// Runs `body` with a fresh context and always closes it: the session key is revoked before this returns.
    /// `readOnly` (a dry run) skips revoking session keys crashed processes left: it sends no mutating request.
    static func with<T>(
        _ playbook: Playbook, runName: String, options: Rollout.Options, readOnly: Bool = false,
        _ body: (RolloutContext) async throws(JumpchainError) -> T
    ) async throws(JumpchainError) -> T {
        let run = RunOperations.runName(ofKey: runName)
        // Taken when the session key is minted (the run exists by then, even on its first apply) and held until
        // the key is revoked: another process's sweep leaves this session's key alone meanwhile.
        let session = SessionLease.Pending(root: options.backend.runKey(run), backend: options.backend)
        defer { session.release() }
        let context = try makeContext(playbook, runName: runName, options: options, claim: session.claim)
        defer { context.credentials.wipe() }
        let value: T
        do {
            value = try await body(context)
        } catch {
            // The command failed already; a key left live is worth knowing about all the same. A command refused
            // the run's lock sweeps nothing: the process holding it is live, and the session keys tagged like this
            // one's are its own (revoking one mid-run leaves it 401s until its key wait gives up).
            let left = await context.close(sweepStale: !readOnly && error.code != .runLocked)
            if !left.isEmpty {
                options.notice?(unrevoked(left, run: run, next: sweepHint(run, site: context.site)).message)
            }
            throw error
        }
        let left = await context.close(sweepStale: !readOnly)
        if !left.isEmpty { throw unrevoked(left, run: run, next: sweepHint(run, site: context.site)) }
        return value
    }

    /// The command that revokes a session key a command of `run` left (any command that opens the jump sweeps them),
    /// with the `--site` of the site it ran at.
    static func sweepHint(_ run: String, site: String?) -> String {
        Rollout.command("status \(run) --inspect-jump", site: site)
    }

    /// The error of a command (or run) that could not revoke its session keys after every retry: it is not done
    /// while they live. Names each key (never a secret) and what revokes it.
    ///
    /// `keys`: id → last error; `kinds`: what a key is ("link key", "origin link key"), "session key" when not
    /// named there.
    static func unrevoked(
        _ keys: [String: String], kinds: [String: String] = [:], run: String, next: String
    ) -> JumpchainError {
        let lines = keys.sorted { $0.key < $1.key }.map { "  \(kinds[$0.key] ?? "session key") \($0.key): \($0.value)" }
        let (it, subject) =
            kinds.isEmpty
            ? ("it", "the jump's session key could not be revoked after every retry, so it is still live")
            : keys.count == 1
                ? ("it", "a key this run minted could not be revoked after every retry, so it is still live")
                : ("them", "keys this run minted could not be revoked after every retry, so they are still live")
        return JumpchainError(
            .runUnfinished,
            "run \(run): \(subject):\n" + lines.joined(separator: "\n")
                + "\nfix the cause (the control plane's DELETE /iam/v2/api-keys), then \(next) revokes \(it) (or "
                + "delete \(it) in Confluent Cloud)")
    }

    /// What opening a jump session sends (nothing when the playbook gives operator credentials for the jump).
    static func previewOpen(_ playbook: Playbook) -> [PreviewRequest] {
        guard playbook.jump.credentials == nil else { return [] }
        return [
            .cloud(
                playbook, "POST", "/iam/v2/api-keys",
                "{owner: <operator>, resource: \(playbook.jump.id)} (session key, revoked at exit)")
        ] + KeyPropagation.preview(playbook, on: playbook.jump, purpose: "session key")
    }

    /// What closing a session sends, after every operation that opened one.
    static func previewClose(_ playbook: Playbook) -> [PreviewRequest] {
        [
            .cloud(playbook, "GET", "/iam/v2/api-keys/<operator key>", "(operator principal)"),
            .cloud(
                playbook, "GET", "/iam/v2/api-keys?spec.owner=<operator>&spec.resource=\(playbook.jump.id)",
                "(session keys this run left behind)"),
            .cloud(playbook, "DELETE", "/iam/v2/api-keys/<session key>", "(the session key: revoked at exit)"),
        ]
    }
}
