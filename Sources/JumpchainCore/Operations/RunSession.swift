import ConfluentAPI
import Foundation

/// The one way every operation (rollout, teardown, status, verify, plan) sets up its context and gives it
/// back: credentials resolved into memory, API clients built, and on every exit path — success, failure,
/// interruption — the jump session key revoked (with any a crashed process of the same run left behind)
/// and every operator secret wiped.
enum RunSession {
    /// Resolves the playbook's credentials and builds the clients for `runName`.
    static func makeContext(
        _ playbook: Playbook, runName: String, options: Rollout.Options
    ) throws(JumpchainError) -> RolloutContext {
        let site = try options.site.flatMap { name throws(JumpchainError) -> PlaybookSite? in
            playbook.siteList.isEmpty ? nil : try playbook.site(named: name)
        }
        let credentials = try RolloutCredentials.resolve(
            playbook, environment: options.environment,
            stdin: options.stdin ?? StdinSecrets(order: playbook.stdinOrder), site: site)
        return RolloutContext(
            playbook: playbook, credentials: credentials, runName: runName, timing: options.timing,
            retryObserver: options.notice, requestLog: options.requestLog,
            site: playbook.siteList.isEmpty ? nil : options.site)
    }

    /// Runs `body` with a fresh context and always closes it: the session key is revoked before this returns.
    /// `readOnly` (a dry run) skips revoking session keys crashed processes left: it sends no mutating request.
    static func with<T>(
        _ playbook: Playbook, runName: String, options: Rollout.Options, readOnly: Bool = false,
        _ body: (RolloutContext) async throws(JumpchainError) -> T
    ) async throws(JumpchainError) -> T {
        let context = try makeContext(playbook, runName: runName, options: options)
        defer { context.credentials.wipe() }
        do {
            let value = try await body(context)
            await context.close(sweepStale: !readOnly)
            return value
        } catch {
            await context.close(sweepStale: !readOnly)
            throw error
        }
    }

    /// What opening a jump session sends (nothing when the playbook gives operator credentials for the jump).
    static func previewOpen(_ playbook: Playbook) -> [PreviewRequest] {
        guard playbook.jump.credentials == nil else { return [] }
        return [
            .cloud(
                playbook, "POST", "/iam/v2/api-keys",
                "{owner: <operator>, resource: \(playbook.jump.id)} (session key, revoked at exit)"),
            .kafka(playbook.jump, "GET", "/topics", "as the session key until it works (propagation)"),
        ]
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
