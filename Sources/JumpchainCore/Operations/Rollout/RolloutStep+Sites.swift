public import Workflow

extension RolloutStep.Kind: SitedStepKind {
    public static var operation: OperationKind { .rollout }

    /// Which endpoints a step of this kind calls in its widest (single-site) form: the one typed source for
    /// `doctor`'s per-step report and for where a multi-site plan runs each step.
    public var calls: [StepEndpoint] {
        switch self {
        case .preflight: [.controlPlane, .origin, .jump, .target]
        case .jumpACLs: [.controlPlane, .jump]
        case .originACLs: [.origin]
        case .linkKey: [.controlPlane]
        // Minted through the control plane, then used on the origin until it works (propagation).
        case .originLinkKey: [.controlPlane, .origin]
        case .leg1Destination: [.controlPlane, .jump]
        // The link key's secret is re-minted through the control plane when a resume lost it.
        case .leg1Source: [.controlPlane, .origin]
        case .leg2: [.controlPlane, .target]
        case .finalizeLinkKey: [.controlPlane, .origin, .target]
        case .destroySecret: []
        case .linksHealthy: [.controlPlane, .origin, .jump, .target]
        case .canaryTopic: [.origin]
        case .mirrorJump: [.controlPlane, .jump]
        case .mirrorTarget: [.target]
        case .verify: [.controlPlane, .origin, .jump, .target]
        }
    }
}

extension RolloutStep.Kind {
    /// What `step` calls: its kind's endpoints, narrowed by a multi-site plan's per-leg and per-site parameters.
    public static func calls(_ step: StepSpec) -> [StepEndpoint] {
        guard let kind = Self(rawValue: step.kind) else { return [] }
        if kind == .preflight, let clusters = step.parameters[StepSites.clustersParameter] {
            let roles = clusters.split(separator: ",").compactMap { PlaybookCluster.Role(rawValue: String($0)) }
            return [.controlPlane] + roles.map(StepEndpoint.of)
        }
        if kind == .verify, let raw = step.parameters[RolloutStep.observesParameter] {
            // An unknown value calls everything: no site can run it, and the plan is refused naming the step.
            guard let observes = RolloutStep.VerifyObserves(rawValue: raw) else { return kind.calls }
            switch observes {
            case .origin: return [.controlPlane, .origin, .jump]
            // The comparison reads leg 2 again when it is re-run after failing: it runs at the target's site too.
            case .target, .recorded: return [.controlPlane, .jump, .target]
            }
        }
        guard let leg = step.parameters[RolloutStep.legParameter] else { return kind.calls }
        let half: StepEndpoint = leg == "leg1" ? .origin : .target
        switch kind {
        case .linkKey: return [.controlPlane, .jump]
        case .finalizeLinkKey: return [.controlPlane, half]
        case .linksHealthy: return leg == "leg1" ? [.controlPlane, .jump, .origin] : [.controlPlane, .target]
        case .preflight, .jumpACLs, .originACLs, .originLinkKey, .leg1Destination, .leg1Source, .leg2, .destroySecret,
            .canaryTopic, .mirrorJump, .mirrorTarget, .verify:
            return kind.calls
        }
    }

    /// A leg's key steps run where its link half is created: the key's secret never leaves that process.
    public static func companion(of step: StepSpec) -> String? {
        guard let leg = step.parameters[RolloutStep.legParameter] else { return nil }
        return leg == "leg1" ? RolloutStep.leg1Source : RolloutStep.leg2
    }
}

extension RolloutStep {
    /// The leg a per-leg step of a multi-site plan serves (`leg1`, `leg2`), from its `leg` parameter.
    public static let legParameter = "leg"
    /// A multi-site plan's preflight checks only the clusters its site reaches (comma-separated roles).
    public static let clustersParameter = StepSites.clustersParameter
    /// A multi-site plan's verification when no site reaches both the origin and the target: `origin` and
    /// `target` read and record what that side's site reaches (the jump is public), `recorded` compares the records
    /// (at the target's site: re-run after failing, it reads leg 2 again).
    public static let observesParameter = "observes"

    /// The values of ``observesParameter``: which part of a cross-site verification a `verify` step is.
    public enum VerifyObserves: String, Sendable, CaseIterable {
        /// Reads and records leg 1 at the origin's site.
        case origin
        /// Reads and records leg 2 at the target's site.
        case target
        /// Compares the two records.
        case recorded
    }

    /// What `step` calls: its kind's endpoints, narrowed by a multi-site plan's per-leg and per-site parameters.
    public static func calls(_ step: StepSpec) -> [StepEndpoint] { Kind.calls(step) }
}
