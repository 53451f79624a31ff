import ArgumentParser
import JumpchainCore
import Workflow

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show the step graph and every request a playbook would send (secrets masked).")

    @Argument(help: "The playbook (YAML).") var playbook: String
    @Flag(help: "Also ask the servers: run the preflight checks and a validate_only create of leg 1's first half.")
    var validate = false
    @OptionGroup var common: CommonOptions

    func run() async throws {
        do {
            let options = common.rolloutOptions(printer: nil, handleSignals: false)
            let (book, diagnostics) = try Rollout.loadPlaybook(playbook, environment: options.environment)
            for diagnostic in diagnostics { Terminal.error(diagnostic.description) }
            // One context for planning and validation: `stdin` secrets are read once.
            let preview = try await Rollout.preview(book, validate: validate, options: options)
            let (plan, findings) = (preview.plan, preview.findings)
            let requests = RequestPreview.requests(for: plan, playbook: book)
            if common.format == .json {
                let steps = plan.topologicalOrder.compactMap { plan[$0] }.map { step -> JSONText.Value in
                    .object([
                        "id": .string(step.id), "kind": .string(step.kind),
                        "depends_on": .array(step.dependsOn.map { .string($0) }),
                        "requests": .array((requests[step.id] ?? []).map { .string($0) }),
                    ])
                }
                Terminal.line(
                    JSONText.object([
                        "run": .string(book.runName), "steps": .array(steps),
                        "validation": .array(findings.map { .string($0) }),
                        "topics": .array(preview.topics.topics.map { .string($0) }),
                        "patterns": .array(
                            preview.topics.patterns.map {
                                .object(["pattern": .string($0.pattern), "matched": .number(Int64($0.matched))])
                            }),
                    ]))
                return
            }
            Terminal.line("plan for run \(book.runName): \(plan.steps.count) steps")
            for match in preview.topics.patterns {
                Terminal.line(
                    "topics.patterns `\(match.pattern)` matched \(match.matched) of the origin's "
                        + "\(preview.topics.originTopics ?? 0) topics")
            }
            for id in plan.topologicalOrder {
                guard let step = plan[id] else { continue }
                let after = step.dependsOn.isEmpty ? "" : "  (after \(step.dependsOn.joined(separator: ", ")))"
                Terminal.line("• \(step.id)\(after)")
                for request in requests[step.id] ?? [] { Terminal.line("    \(request)") }
            }
            for finding in findings { Terminal.line("validated: \(finding)") }
        } catch {
            throw ExitStatus.fail(error)
        }
    }
}
