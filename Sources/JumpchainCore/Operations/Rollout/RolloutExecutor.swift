import ConfluentAPI
import Foundation
import JumpchainHTTP
public import Workflow

/// Executes rollout steps. Every step is observe-then-act: it looks at the remote state first, adopts what
/// is already there, and acts only on what is missing, so running it again after a crash is always safe.
public struct RolloutExecutor: StepExecutor {
    public let context: RolloutContext
    /// The origin topics the recorded plan mirrors, canary included.
    public let topics: [String]
    /// Each topic's mirror names on the jump and on the target, from the recorded plan.
    let mirrors: [ChainTopology.ChainTopic]
    /// ``mirrors`` by origin topic (a lookup per topic, not a scan: 5,000 topics are 25 million comparisons).
    let mirrorsByOrigin: [String: ChainTopology.ChainTopic]
    /// The recorded plan this executor runs.
    public let plan: Plan

    public init(context: RolloutContext, plan: Plan) {
        self.context = context
        self.plan = plan
        mirrors = context.topology(for: plan).topics
        topics = mirrors.map(\.origin)
        mirrorsByOrigin = Dictionary(mirrors.map { ($0.origin, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func execute(_ step: StepSpec, context stepContext: StepContext) async throws -> [String: String] {
        let report: @Sendable (String) -> Void = { stepContext.waiting(for: $0) }
        guard let kind = RolloutStep.Kind(rawValue: step.kind) else {
            throw StepError.permanent(
                "unknown step kind '\(step.kind)' in the recorded plan of a rollout; was it written by another version?"
            )
        }
        do {
            switch kind {
            case .preflight: return try await preflight(step, mintingInto: stepContext.ephemeral, report: report)
            case .jumpACLs: return try await jumpACLs(stepContext, report: report)
            case .originACLs: return try await originACLs(step, stepContext)
            case .linkKey: return try await linkKey(step, stepContext, report: report)
            case .originLinkKey: return try await originLinkKey(stepContext, report: report)
            case .leg1Destination: return try await leg1Destination(report: report)
            case .leg1Source: return try await leg1Source(step, stepContext)
            case .leg2: return try await leg2(step, stepContext)
            case .finalizeLinkKey: return try await finalizeLinkKey(step, stepContext)
            case .destroySecret: return destroySecret(step, stepContext)
            case .linksHealthy: return try await linksHealthy(step, report: report)
            case .canaryTopic: return try await canaryTopic(step)
            case .mirrorJump: return try await mirror(step, onTarget: false, stepContext)
            case .mirrorTarget: return try await mirror(step, onTarget: true, stepContext)
            case .verify:
                guard let raw = step.parameters[RolloutStep.observesParameter] else {
                    return try await verify(step, report: report)
                }
                guard let observes = RolloutStep.VerifyObserves(rawValue: raw) else {
                    throw StepError.permanent(
                        "step \(step.id): unknown \(RolloutStep.observesParameter)=\(raw) (a plan from another "
                            + "version of jumpchain?): expected one of "
                            + RolloutStep.VerifyObserves.allCases.map(\.rawValue).joined(separator: ", "))
                }
                switch observes {
                case .origin: return try await verifySide(step, side: .origin, stepContext, report: report)
                case .target: return try await verifySide(step, side: .target, stepContext, report: report)
                case .recorded: return try await verifyRecorded(step, stepContext, report: report)
                }
            }
        } catch let error as ConfluentAPIError {
            throw StepError.from(error)
        }
    }

    /// The requests `step` would send (for `plan`); each step's preview sits next to its body.
    public static func preview(_ step: StepSpec, playbook: Playbook) -> [PreviewRequest] {
        guard let kind = RolloutStep.Kind(rawValue: step.kind) else { return [] }
        switch kind {
        case .preflight: return previewPreflight(playbook)
        case .jumpACLs: return previewJumpACLs(playbook)
        case .originACLs: return previewOriginACLs(playbook)
        case .linkKey: return previewLinkKey(playbook)
        case .originLinkKey: return previewOriginLinkKey(playbook)
        case .leg1Destination: return previewLeg1Destination(playbook)
        case .leg1Source: return previewLeg1Source(playbook)
        case .leg2: return previewLeg2(playbook)
        case .finalizeLinkKey: return previewFinalizeLinkKey(playbook) + previewFinalizeOriginKey(playbook)
        case .destroySecret: return []
        case .linksHealthy: return previewLinksHealthy(playbook)
        case .canaryTopic: return previewCanaryTopic(step, playbook)
        case .mirrorJump: return previewMirror(step, playbook, onTarget: false)
        case .mirrorTarget: return previewMirror(step, playbook, onTarget: true)
        case .verify: return previewVerify(step, playbook)
        }
    }

    /// A link secret (the jump's link key, the origin link key) is lost after a restart: it cannot be
    /// recovered, so mint a new key. The halves that already hold the old key are re-pointed by
    /// `finalize-link-key`, which then revokes the old key.
    public func recoverEphemeral(
        _ name: String, for step: StepSpec, context stepContext: StepContext
    )
        async throws -> any Sendable
    {
        let leg = step.parameters[RolloutStep.legParameter]
        let report: @Sendable (String) -> Void = { stepContext.waiting(for: $0) }
        let mint: () async throws -> APICredential
        switch name {
        case RolloutStep.credentialName(leg: leg):
            stepContext.progress("the link key's secret was lost in a restart; minting a replacement key")
            mint = { try await mintLinkKey(leg: leg, into: stepContext.ephemeral, report: report) }
        case RolloutStep.originLinkCredential:
            stepContext.progress("the origin link key's secret was lost in a restart; minting a replacement key")
            mint = { try await mintOriginLinkKey(into: stepContext.ephemeral, report: report) }
        default:
            throw StepError.permanent("no way to re-derive in-memory material '\(name)'")
        }
        do {
            return try await mint()
        } catch {
            // Minted but not seen to work: the step's next attempt must not find it and skip recovery, so it is
            // revoked now (after a stop, the run's exit path revokes it instead).
            if !Task.isCancelled, let minted = stepContext.ephemeral.remove(name) as? APICredential {
                let controlPlane = context.controlPlane
                await Interruption.shielded { try? await controlPlane.deleteAPIKey(minted.key) }
                minted.secret.wipe()
            }
            if let error = error as? ConfluentAPIError { throw StepError.from(error) }
            throw error
        }
    }

    // MARK: Link key

    /// What `link-key` sends: the key's create (in a single-site run the preflight's, ``afterEarlyMint(_:_:)``), and
    /// the wait until it works.
    static func previewLinkKey(_ playbook: Playbook) -> [PreviewRequest] {
        afterEarlyMint(previewMintLinkKey(playbook), playbook)
            + KeyPropagation.preview(playbook, on: playbook.jump, purpose: "link key")
    }

    /// The link key's create: sent by the preflight of a single-site run (``mintLinkKeysEarly(into:report:)``),
    /// else by `link-key`.
    static func previewMintLinkKey(_ playbook: Playbook) -> [PreviewRequest] {
        [
            .cloud(
                playbook, "POST", "/iam/v2/api-keys",
                "{owner: \(playbook.link.serviceAccount), resource: \(playbook.jump.id)} → the one link key; secret "
                    + "kept in memory only")
        ]
    }

    /// A link key's create, `mint`, as its step sends it: in a multi-site run always; in a single-site run, whose
    /// preflight minted the key, only when that key's secret was lost (resumed by another process).
    static func afterEarlyMint(_ mint: [PreviewRequest], _ playbook: Playbook) -> [PreviewRequest] {
        guard playbook.siteList.isEmpty else { return mint }
        return mint.map { request in
            var request = request
            request.detail += " (only when the preflight's key was lost: resumed by another process)"
            return request
        }
    }

    func linkKey(
        _ step: StepSpec, _ stepContext: StepContext, report: @escaping @Sendable (String) -> Void
    ) async throws -> [String:
        String]
    {
        let leg = step.parameters[RolloutStep.legParameter]
        if let existing = stepContext.ephemeral.value(RolloutStep.credentialName(leg: leg)) as? APICredential {
            // Minted by the preflight (propagating while the ACLs were granted), or by an earlier attempt in this
            // process that stopped before the key was seen to work.
            try await KeyPropagation.wait(
                for: context.jumpClient(as: existing), keyID: existing.key, controlPlane: context.controlPlane,
                timing: context.timing, purpose: "link key", report: report)
            return ["key_id": existing.key]
        }
        let credential = try await mintLinkKey(leg: leg, into: stepContext.ephemeral, report: report)
        return ["key_id": credential.key]
    }

    /// Creates the one API key for the jump, owned by the link service account, and waits until it works.
    ///
    /// The key goes into `ephemeral` the moment the server answers, before the wait: a stop (SIGINT,
    /// SIGTERM, a failed wait) at any later point finds it there, and the run's exit path revokes it unless a
    /// link holds it. The create itself is not cancellable, so a key the server made is never unknown here.
    func mintLinkKey(
        leg: String?, into ephemeral: EphemeralStore, propagate: Bool = true,
        report: @escaping @Sendable (String) -> Void
    ) async throws -> APICredential {
        try Task.checkCancellation()
        let playbook = context.playbook
        let holders =
            switch leg {
            case "leg1": "held by cluster link \(playbook.link.leg1Name)"
            case "leg2": "held by cluster link \(playbook.link.leg2Name)"
            default: "held by cluster links \(playbook.link.leg1Name) and \(playbook.link.leg2Name)"
            }
        let description = "\(context.linkKeyTag(leg: leg)) \(holders); its secret was destroyed after set-up"
        return try await mintKey(
            owner: playbook.link.serviceAccount, on: playbook.jump, tagged: description,
            named: "jumpchain link key \(context.runName)" + (leg.map { " \($0)" } ?? ""),
            into: ephemeral, as: RolloutStep.credentialName(leg: leg), purpose: "link key", propagate: propagate,
            report: report
        ) { context.jumpClient(as: $0) }
    }

    /// Creates an API key owned by `owner` for `cluster`, described by `description` (the run's tag first), puts
    /// it into `ephemeral` as `name` the moment the server answers, then (with `propagate`) waits until it works
    /// through `client`.
    ///
    /// A stop (SIGINT, SIGTERM, a failed wait) at any later point finds the key in `ephemeral`, and the run's exit
    /// path revokes it unless a link holds it. The create itself is not cancellable, so a key the server made is
    /// never unknown here.
    func mintKey(
        owner: String, on cluster: PlaybookCluster, tagged description: String, named displayName: String,
        into ephemeral: EphemeralStore, as name: String, purpose: String, propagate: Bool = true,
        report: @escaping @Sendable (String) -> Void, client: (APICredential) -> KafkaRESTClient
    ) async throws -> APICredential {
        let controlPlane = context.controlPlane
        let answer = await Interruption.shielded { () -> Result<ControlPlaneClient.CreatedKey, ConfluentAPIError> in
            do throws(ConfluentAPIError) {
                return .success(
                    try await controlPlane.createAPIKey(
                        owner: owner, resource: cluster.id, environment: cluster.environment,
                        displayName: displayName, description: description))
            } catch {
                return .failure(error)
            }
        }
        let created = try answer.get()
        ephemeral.set(name, created.credential)
        guard propagate else { return created.credential }
        try await KeyPropagation.wait(
            for: client(created.credential), keyID: created.key.id, controlPlane: controlPlane, timing: context.timing,
            purpose: purpose, report: report)
        return created.credential
    }

    func linkCredential(_ step: StepSpec, _ stepContext: StepContext) throws -> APICredential {
        let name = RolloutStep.credentialName(leg: step.parameters[RolloutStep.legParameter])
        guard let credential = stepContext.ephemeral.value(name) as? APICredential else {
            throw StepError.permanent("the link key's secret is not in memory (the engine should have re-derived it)")
        }
        return credential
    }

    static func previewFinalizeLinkKey(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        let masked = RequestPreview.masked
        return [
            .kafka(
                playbook.origin, "PUT", "/links/\(link.leg1Name)/configs:alter",
                "sasl.jaas.config=\(masked) (only if it holds an older key)"),
            .kafka(
                playbook.target, "PUT", "/links/\(link.leg2Name)/configs:alter",
                "sasl.jaas.config=\(masked) (only if it holds an older key)"),
            .cloud(
                playbook, "GET", "/iam/v2/api-keys?spec.owner=\(link.serviceAccount)&spec.resource=\(playbook.jump.id)"),
            .cloud(playbook, "DELETE", "/iam/v2/api-keys/<older link key>", "(older link keys of this run, if any)"),
        ]
    }

    /// Re-points every link half that holds an older link key to the current one, then revokes the old keys
    /// (in a multi-site run, only its own leg's half and keys: the other leg's are its site's).
    func finalizeLinkKey(_ step: StepSpec, _ stepContext: StepContext) async throws -> [String: String] {
        let current = try linkCredential(step, stepContext)
        let leg = step.parameters[RolloutStep.legParameter]
        let playbook = context.playbook
        let jaas = JAASConfig.plain(current)
        defer { jaas.wipe() }
        var repointed: [String] = []
        let halves = [
            (RolloutStep.leg1Source, context.origin, playbook.link.leg1Name, "leg1"),
            (RolloutStep.leg2, context.target, playbook.link.leg2Name, "leg2"),
        ].filter { leg == nil || $0.3 == leg }
        for (stepID, client, link, _) in halves where stepContext.output("key_id", of: stepID) != current.key {
            try await client.alterLinkConfigs(link, set: [LinkConfigEntry("sasl.jaas.config", secret: jaas)])
            repointed.append("\(link)@\(client.clusterID)")
        }
        let revoked = try await revokeRunLinkKeys(leg: leg, keeping: current.key)
        var outputs = [
            "key_id": current.key, "repointed": repointed.joined(separator: ","),
            "revoked_old_keys": revoked.joined(separator: ","),
        ]
        // The origin link key belongs to leg 1 (its source half's local credentials).
        if leg != "leg2" {
            outputs.merge(try await finalizeOriginKey(stepContext)) { _, new in new }
        }
        return outputs
    }

    /// Revokes this run's live link keys on the jump but `kept`: every leg's, or `leg`'s own in a multi-site run
    /// (run `jump-demo` never matches `jump-demo2`'s). Returns the ids revoked.
    func revokeRunLinkKeys(leg: String?, keeping kept: String?) async throws -> [String] {
        let playbook = context.playbook
        let keys = try await context.controlPlane.listAPIKeys(
            owner: playbook.link.serviceAccount, resource: playbook.jump.id)
        let isRunKey = { (description: String?) -> Bool in
            guard let leg else { return context.isLinkKey(description) }
            return description?.hasPrefix(context.linkKeyTag(leg: leg)) == true
        }
        var revoked: [String] = []
        for key in keys where key.id != kept && isRunKey(key.spec.description) {
            try await context.controlPlane.deleteAPIKey(key.id)
            revoked.append(key.id)
        }
        return revoked
    }

    /// Wipes every in-memory copy of the link secrets (the jump's link key of this leg or of both legs, the origin
    /// link key). The keys stay alive: the links hold them.
    func destroySecret(_ step: StepSpec, _ stepContext: StepContext) -> [String: String] {
        let leg = step.parameters[RolloutStep.legParameter]
        for name in [RolloutStep.credentialName(leg: leg)] + (leg == "leg2" ? [] : [RolloutStep.originLinkCredential]) {
            (stepContext.ephemeral.remove(name) as? APICredential)?.secret.wipe()
        }
        let finalize = leg.map { RolloutStep.perLeg(RolloutStep.finalizeLinkKey, $0) } ?? RolloutStep.finalizeLinkKey
        var outputs = ["secret_destroyed": "true", "key_id": stepContext.output("key_id", of: finalize) ?? ""]
        if let origin = stepContext.output("origin_key_id", of: finalize) {
            outputs["origin_key_id"] = origin
        }
        return outputs
    }
}
