import Workflow

/// The end-of-rollout summary, readable at a glance (`apply`, `resume` and `demo` print it).
public enum RolloutSummary {
    public static func lines(_ report: Rollout.Report) -> [String] {
        let counts = Dictionary(grouping: report.states.values, by: \.state).mapValues(\.count)
        let output = { (step: String, key: String) in report.states[step]?.outputs[key] ?? "?" }
        var lines: [String] = []
        if report.alreadyComplete {
            lines.append("run \(report.runName) is already complete: nothing was sent, nothing changed.")
        }
        lines.append(
            "run \(report.runName): \(report.status.rawValue) — \(counts[.succeeded] ?? 0) succeeded, "
                + "\(counts[.skipped] ?? 0) skipped, \(counts[.failed] ?? 0) failed of \(report.plan.steps.count) steps"
        )
        if report.plan[RolloutStep.destroySecret] != nil || report.plan.steps.isEmpty {
            lines.append(
                "  link key        \(output(RolloutStep.destroySecret, "key_id")) (held by the links; its secret "
                    + "was destroyed: \(output(RolloutStep.destroySecret, "secret_destroyed")))")
        }
        let destroy =
            report.plan[RolloutStep.destroySecret] != nil
            ? RolloutStep.destroySecret : RolloutStep.perLeg(RolloutStep.destroySecret, "leg1")
        if let originKey = report.states[destroy]?.outputs["origin_key_id"] {
            lines.append(
                "  origin link key \(originKey) (leg 1's local credentials on the origin, owned by the link's "
                    + "service account; its secret was destroyed too)")
        }
        for leg in ["leg1", "leg2"] where report.plan[RolloutStep.perLeg(RolloutStep.destroySecret, leg)] != nil {
            let step = RolloutStep.perLeg(RolloutStep.destroySecret, leg)
            lines.append(
                "  \(leg) link key   \(output(step, "key_id")) (held by its link; minted and its secret destroyed at "
                    + "site \(report.plan[step]?.site ?? "?"))")
        }
        lines.append(
            "  leg 1           cluster link id \(output(RolloutStep.leg1Destination, "cluster_link_id")) "
                + "(source-initiated: origin → jump)")
        lines.append(
            "  leg 2           cluster link id \(output(RolloutStep.leg2, "cluster_link_id")) "
                + "(destination-initiated: jump → target)")
        let mirrors = report.states.filter {
            $0.key.hasPrefix(RolloutStep.mirrorTarget + ":") && $0.value.state == .succeeded
        }
        lines.append("  mirrors         \(mirrors.count) topics mirrored through both hops")
        if let verify = report.states[RolloutStep.verify], verify.state == .succeeded {
            lines.append(
                "  verification    \(verify.outputs["partitions"] ?? "?") partitions, max end-to-end lag "
                    + "\(verify.outputs["max_end_to_end_lag"] ?? "?")")
        }
        if !report.sessionKeysMinted.isEmpty {
            lines.append("  session keys    \(report.sessionKeysMinted.joined(separator: ", ")) minted and revoked")
        }
        lines.append("  state           \(report.directory) (resume, status, verify and graph read it)")
        if let invariant = report.invariant { lines.append(invariant.line) }
        return lines
    }
}
