import ConfluentAPI
public import JumpchainHTTP

/// Every credential a rollout needs, resolved from the playbook's references (env, 0600 file, stdin).
/// Lives in memory only; ``wipe()`` zeroes every secret.
public struct RolloutCredentials: Sendable {
    public var cloud: APICredential
    public var origin: APICredential
    public var target: APICredential
    /// The credentials leg 1's source half uses as `local.*` on the origin.
    public var originLocal: APICredential
    /// Operator credentials for the jump, only if the playbook names some (normally it does not).
    public var jump: APICredential?

    /// Resolves in ``Playbook/stdinOrder`` so that `stdin` references read their lines in a documented order.
    ///
    /// At a site (`--site`) that does not reach a private origin or target, that cluster's credentials may be
    /// left out (an unset variable, a missing file): this site never calls it, so an unresolvable reference
    /// stands in as a credential with an empty secret instead of an error. `stdin` lines are read all the same.
    public static func resolve(
        _ playbook: Playbook, environment: [String: String], stdin: StdinSecrets, site: PlaybookSite? = nil
    ) throws(JumpchainError) -> RolloutCredentials {
        func need(
            _ reference: CredentialReference?, _ what: String, cluster: PlaybookCluster.Role? = nil
        ) throws(JumpchainError) -> APICredential {
            guard let reference else {
                throw JumpchainError(.invalidInput, "\(playbook.sourceFile): \(what) has no credentials; add them")
            }
            do {
                return try reference.resolve(environment: environment, stdin: stdin)
            } catch {
                if let site, let cluster, !playbook.site(site, reaches: cluster) {
                    return APICredential(key: "(not used at site \(site.name))", secret: Secret(bytes: []))
                }
                throw JumpchainError(.invalidInput, error.description, cause: error)
            }
        }
        let cloud = try need(playbook.controlPlane.credentials, "control_plane")
        let origin = try need(playbook.origin.credentials, "origin", cluster: .origin)
        let jump = try playbook.jump.credentials.map { reference throws(JumpchainError) in try need(reference, "jump") }
        let target = try need(playbook.target.credentials, "target", cluster: .target)
        let local = try need(playbook.link.originLocalCredentials, "link.origin_local_credentials", cluster: .origin)
        return RolloutCredentials(cloud: cloud, origin: origin, target: target, originLocal: local, jump: jump)
    }

    /// Zeroes every secret this value holds.
    public func wipe() {
        for credential in all { credential.secret.wipe() }
    }

    public var all: [APICredential] { [cloud, origin, target, originLocal] + (jump.map { [$0] } ?? []) }
}
