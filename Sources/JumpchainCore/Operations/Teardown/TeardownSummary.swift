import Foundation
import Workflow

/// The end-of-`destroy` summary, readable at a glance.
public enum TeardownSummary {
    public static func lines(_ report: Rollout.Report) -> [String] {
        func output(_ kind: TeardownStep.Kind, _ key: String) -> String {
            report.states[kind.rawValue]?.outputs[key] ?? ""
        }
        func list(_ text: String) -> String { text.isEmpty ? "none" : text.replacingOccurrences(of: ",", with: ", ") }
        var lines: [String] = []
        if report.alreadyComplete {
            lines.append("run \(report.runName) is already torn down: nothing was sent, nothing changed.")
        }
        let done = report.states.values.filter { $0.state == .succeeded }.count
        lines.append(
            "destroy of run \(report.runName): \(report.status.rawValue) — \(done) of \(report.plan.steps.count) steps")
        let mode = output(.targetMirrors, "mode")
        lines.append(
            "  target topics   \(mode.isEmpty ? "no live mirror" : mode): failed over \(list(output(.targetMirrors, "failed_over"))); "
                + "deleted \(list(output(.targetMirrors, "deleted")))")
        let links = [
            (TeardownStep.Kind.leg2, "leg 2 on the target"), (.leg1Source, "leg 1 source half on the origin"),
            (.leg1Destination, "leg 1 destination half on the jump"),
        ].map { kind, what -> String in
            "\(what) \(output(kind, "deleted") == "true" ? "deleted" : "already gone")"
        }
        lines.append("  links           \(links.joined(separator: "; "))")
        lines.append("  jump topics     deleted \(list(output(.jumpMirrors, "deleted")))")
        lines.append("  origin canary   deleted \(list(output(.canaryTopic, "deleted")))")
        lines.append(
            "  ACLs            \(output(.acls, "deleted").isEmpty ? "0" : output(.acls, "deleted")) deleted (only those jumpchain created)"
        )
        lines.append("  link keys       revoked \(list(output(.revokeLinkKeys, "revoked")))")
        if !report.sessionKeysMinted.isEmpty {
            lines.append("  session keys    \(report.sessionKeysMinted.joined(separator: ", ")) minted and revoked")
        }
        lines.append("  state           \(report.directory)")
        if let invariant = report.invariant { lines.append(invariant.line) }
        return lines
    }
}
