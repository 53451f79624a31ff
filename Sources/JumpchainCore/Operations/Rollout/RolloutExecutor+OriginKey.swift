import ConfluentAPI
import JumpchainHTTP
import Workflow

/// The origin link key: a Kafka API key on the origin owned by the link service account (or
/// `link.origin_service_account`), minted when the playbook gives no `origin_local_credentials`. Leg 1's source
/// half holds it as its `local.*` credentials; it lives like the jump's link key: tagged with the run, kept in
/// memory only until the half holds it, older copies revoked by `finalize-link-key`, revoked by `destroy`.
extension RolloutExecutor {
    /// What `origin-link-key` sends: like ``previewLinkKey(_:)``.
    static func previewOriginLinkKey(_ playbook: Playbook) -> [PreviewRequest] {
        afterEarlyMint(previewMintOriginLinkKey(playbook), playbook)
            + KeyPropagation.preview(playbook, on: playbook.origin, purpose: "origin link key")
    }

    /// The origin link key's create: sent by the preflight of a single-site run, else by `origin-link-key`.
    static func previewMintOriginLinkKey(_ playbook: Playbook) -> [PreviewRequest] {
        [
            .cloud(
                playbook, "POST", "/iam/v2/api-keys",
                "{owner: \(playbook.link.originKeyOwner), resource: \(playbook.origin.id)} → the origin link key "
                    + "(leg 1's local credentials); secret kept in memory only")
        ]
    }

    func originLinkKey(
        _ stepContext: StepContext, report: @escaping @Sendable (String) -> Void
    ) async throws -> [String: String] {
        if let existing = stepContext.ephemeral.value(RolloutStep.originLinkCredential) as? APICredential {
            // Minted by the preflight, or by an earlier attempt in this process that stopped before the key was
            // seen to work.
            try await KeyPropagation.wait(
                for: context.originClient(as: existing), keyID: existing.key, controlPlane: context.controlPlane,
                timing: context.timing, purpose: "origin link key", report: report)
            return ["key_id": existing.key]
        }
        let credential = try await mintOriginLinkKey(into: stepContext.ephemeral, report: report)
        return ["key_id": credential.key]
    }

    /// Creates the origin link key and waits until it works. Like ``mintLinkKey(into:report:)``: the key is in
    /// `ephemeral` the moment the server answers, so every exit path finds it (and revokes it unless leg 1's
    /// source half holds it).
    func mintOriginLinkKey(
        into ephemeral: EphemeralStore, propagate: Bool = true, report: @escaping @Sendable (String) -> Void
    ) async throws -> APICredential {
        try Task.checkCancellation()
        let playbook = context.playbook
        let description =
            "\(context.originKeyTag); held by cluster link \(playbook.link.leg1Name) (local credentials of its "
            + "source half); its secret was destroyed after set-up"
        return try await mintKey(
            owner: playbook.link.originKeyOwner, on: playbook.origin, tagged: description,
            named: "jumpchain origin link key \(context.runName)", into: ephemeral,
            as: RolloutStep.originLinkCredential, purpose: "origin link key", propagate: propagate, report: report
        ) { context.originClient(as: $0) }
    }

    /// Leg 1's `local.*` credentials: the minted origin link key, or the user's `origin_local_credentials`.
    func originLocalCredential(_ stepContext: StepContext) throws -> APICredential {
        if let supplied = context.credentials.originLocal { return supplied }
        guard let minted = stepContext.ephemeral.value(RolloutStep.originLinkCredential) as? APICredential else {
            throw StepError.permanent(
                "the origin link key's secret is not in memory (the engine should have re-derived it)")
        }
        return minted
    }

    static func previewFinalizeOriginKey(_ playbook: Playbook) -> [PreviewRequest] {
        guard playbook.link.mintsOriginKey else { return [] }
        let link = playbook.link
        return [
            .kafka(
                playbook.origin, "PUT", "/links/\(link.leg1Name)/configs:alter",
                "local.sasl.jaas.config=\(RequestPreview.masked) (only if it holds an older origin link key)"),
            .cloud(
                playbook, "GET",
                "/iam/v2/api-keys?spec.owner=\(link.originKeyOwner)&spec.resource=\(playbook.origin.id)"
            ),
            .cloud(
                playbook, "DELETE", "/iam/v2/api-keys/<older origin link key>",
                "(older origin link keys of this run, if any)"),
        ]
    }

    /// Points leg 1's source half at the current origin link key if it holds an older one, then revokes the
    /// older origin link keys of this run (minted by attempts a crash or a stop cut short).
    func finalizeOriginKey(_ stepContext: StepContext) async throws -> [String: String] {
        let playbook = context.playbook
        guard playbook.link.mintsOriginKey else { return [:] }
        let current = try originLocalCredential(stepContext)
        var repointed = false
        if stepContext.output("local_key_id", of: RolloutStep.leg1Source) != current.key {
            let jaas = JAASConfig.plain(current)
            defer { jaas.wipe() }
            try await context.origin.alterLinkConfigs(
                playbook.link.leg1Name, set: [LinkConfigEntry("local.sasl.jaas.config", secret: jaas)])
            repointed = true
        }
        let revoked = try await revokeRunOriginKeys(keeping: current.key)
        return [
            "origin_key_id": current.key, "origin_key_repointed": repointed ? "true" : "false",
            "revoked_old_origin_keys": revoked.joined(separator: ","),
        ]
    }

    /// Revokes this run's live origin link keys on the origin but `kept`. Returns the ids revoked.
    func revokeRunOriginKeys(keeping kept: String?) async throws -> [String] {
        let playbook = context.playbook
        let keys = try await context.controlPlane.listAPIKeys(
            owner: playbook.link.originKeyOwner, resource: playbook.origin.id)
        var revoked: [String] = []
        for key in keys where key.id != kept && key.spec.description?.hasPrefix(context.originKeyTag + ";") == true {
            try await context.controlPlane.deleteAPIKey(key.id)
            revoked.append(key.id)
        }
        return revoked
    }
}
