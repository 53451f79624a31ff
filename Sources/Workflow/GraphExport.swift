import Foundation

/// Renders a plan as a Graphviz `dot` or Mermaid graph, each step coloured by its state.
public enum GraphExport {
    /// The output language.
    public enum Format: String, Sendable, CaseIterable {
        /// Graphviz `dot` (render with `dot -Tsvg`).
        case dot
        /// A Mermaid `flowchart` (renders in GitHub Markdown).
        case mermaid
    }

    /// Renders `plan` with each step filled by the colour of its state (missing states count as pending).
    public static func render(plan: Plan, states: [String: StepState], format: Format) -> String {
        switch format {
        case .dot: return dot(plan: plan, states: states)
        case .mermaid: return mermaid(plan: plan, states: states)
        }
    }

    /// The fill colour used for each state.
    public static func color(for state: StepState) -> String {
        switch state {
        case .pending: return "#e0e0e0"
        case .running: return "#ffd54f"
        case .succeeded: return "#81c784"
        case .failed: return "#e57373"
        case .skipped: return "#b0bec5"
        }
    }

    private static func dot(plan: Plan, states: [String: StepState]) -> String {
        var lines = [
            "digraph plan {",
            "  rankdir=LR;",
            "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];",
        ]
        for step in plan.steps {
            let state = states[step.id] ?? .pending
            let label = dotEscaped(step.id) + "\\n" + dotEscaped("\(step.kind) · \(state.rawValue)")
            lines.append("  \(dotQuoted(step.id)) [label=\"\(label)\", fillcolor=\"\(color(for: state))\"];")
        }
        for step in plan.steps {
            for dependency in step.dependsOn {
                lines.append("  \(dotQuoted(dependency)) -> \(dotQuoted(step.id));")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func mermaid(plan: Plan, states: [String: StepState]) -> String {
        var lines = ["flowchart LR"]
        for (position, step) in plan.steps.enumerated() {
            let state = states[step.id] ?? .pending
            lines.append(
                "  s\(position)[\"\(mermaidText(step.id))<br/>\(mermaidText(step.kind)) · \(state.rawValue)\"]")
        }
        for (position, step) in plan.steps.enumerated() {
            for dependency in step.dependsOn {
                lines.append("  s\(plan.index[dependency]!) --> s\(position)")
            }
        }
        for state in StepState.allCases {
            lines.append("  classDef \(state.rawValue) fill:\(color(for: state)),stroke:#555")
        }
        for state in StepState.allCases {
            let members = plan.steps.indices.filter { (states[plan.steps[$0].id] ?? .pending) == state }
            if !members.isEmpty {
                lines.append("  class \(members.map { "s\($0)" }.joined(separator: ",")) \(state.rawValue)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func dotQuoted(_ text: String) -> String {
        "\"" + dotEscaped(text) + "\""
    }

    private static func dotEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func mermaidText(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "#quot;")
            .replacingOccurrences(of: "<", with: "#lt;")
            .replacingOccurrences(of: ">", with: "#gt;")
    }
}
