import ArgumentParser
import JumpchainCore
import JumpchainJSON
import Workflow

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan", abstract: "Show the step graph and every request a playbook would send (secrets masked).")

    @Argument(help: "The playbook (YAML).") var playbook: String
    @Flag(help: "Also ask the servers: run the preflight checks and a validate_only create of leg 1's first half.")
    var validate = false
    @Flag(help: "With a live chain: also show pruning the topics the playbook no longer selects.")
    var prune = false
    @OptionGroup var common: CommonOptions

    func run() async throws {
        do {
            let options = common.rolloutOptions(printer: nil)
            let (book, diagnostics) = try Rollout.loadPlaybook(
                playbook, environment: options.environment, allowInsecureHTTP: options.allowInsecureHTTP)
            for diagnostic in diagnostics { Terminal.error(diagnostic.description) }
            // A finished chain: the plan is the difference, run as an update of the same run.
            if let change = try await Update.planned(book, path: playbook, prune: prune, options: options) {
                show(change, run: book.runName)
                return
            }
            // One context for planning and validation: `stdin` secrets are read once.
            let preview = try await Rollout.preview(book, validate: validate, options: options)
            let (plan, findings) = (preview.plan, preview.findings)
            let requests = RequestPreview.requests(for: plan, playbook: book)
            if common.format == .json {
                let steps = StepPreview.json(plan, requests, dependencies: true)
                let turns = SiteAssignment.handOffs(plan).map { turn -> JSON in
                    .object(["site": .string(turn.site), "steps": .array(turn.steps.map { .string($0) })])
                }
                Terminal.line(
                    JSONText.object([
                        "run": .string(book.runName), "steps": steps, "hand_offs": .array(turns),
                        "validation": .array(findings.map { .string($0) }),
                        "topics": .array(preview.topics.topics.map { .string($0) }),
                        "patterns": .array(
                            preview.topics.patterns.map {
                                .object(["pattern": .string($0.pattern), "matched": .int(Int64($0.matched))])
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
            if SiteHandOffs.print(plan) {
                if plan[RolloutStep.verify]?.parameters[RolloutStep.observesParameter] != nil {
                    Terminal.line(
                        "no site reaches both the origin and the target: each side's site reads and records its leg "
                            + "(\(RolloutStep.perSide(RolloutStep.verify, .origin)), "
                            + "\(RolloutStep.perSide(RolloutStep.verify, .target))), then \(RolloutStep.verify) "
                            + "compares the records")
                }
            }
            StepPreview.print(plan, requests, dependencies: true)
            for finding in findings { Terminal.line("validated: \(finding)") }
        } catch {
            throw ExitStatus.fail(error)
        }
    }

    func show(_ change: Update.Planned, run: String) {
        let diff = change.diff
        if common.format == .json {
            let steps = StepPreview.json(change.plan, change.requests, dependencies: true)
            let turns = SiteAssignment.handOffs(change.plan).map { turn -> JSON in
                .object(["site": .string(turn.site), "steps": .array(turn.steps.map { .string($0) })])
            }
            Terminal.line(
                JSONText.object([
                    "run": .string(run), "operation": .string("update"),
                    "add": .array(diff.added.map { .string($0.origin) }),
                    "no_longer_wanted": .array(diff.removed.map { .string($0.origin) }),
                    "prune": .bool(diff.prune), "steps": steps, "hand_offs": .array(turns),
                ]))
            return
        }
        Terminal.line("run \(run) is live: this playbook changes it (an update of the same run)")
        Terminal.line(
            "  add             \(diff.added.isEmpty ? "none" : diff.added.map(\.origin).joined(separator: ", "))")
        let removed = diff.removed.map(\.origin).joined(separator: ", ")
        Terminal.line(
            "  no longer wanted \(removed.isEmpty ? "none" : removed)"
                + (removed.isEmpty ? "" : diff.prune ? " (pruned)" : " (left alone; --prune removes them)"))
        let options =
            diff.leg1Options.map { "leg1 \($0.key)=\($0.value)" }
            + diff.leg2Options.map { "leg2 \($0.key)=\($0.value)" }
        if !options.isEmpty { Terminal.line("  link options    \(options.sorted().joined(separator: ", "))") }
        Terminal.line("update plan: \(change.plan.steps.count) steps")
        if SiteHandOffs.print(change.plan), change.plan[UpdatePlanner.targetPreflight] != nil {
            Terminal.line(
                "no site reaches both the origin and the target: the origin's site reads the selection and plans the "
                    + "update, each side's site checks and records what it reaches "
                    + "(\(UpdatePlanner.targetPreflight), \(RolloutStep.perSide(RolloutStep.verify, .origin)), "
                    + "\(RolloutStep.perSide(RolloutStep.verify, .target))), then \(RolloutStep.verify) compares the "
                    + "records")
        }
        StepPreview.print(change.plan, change.requests, dependencies: true)
    }
}

/// A previewed plan's steps in order with the requests each would send, as `plan` and every `--dry-run` show them.
/// `dependencies` adds what each step runs after (and, in JSON, its kind).
enum StepPreview {
    /// `• step [site]  (after …)`, then its requests, one line each.
    static func print(_ plan: Plan, _ requests: [String: [PreviewRequest]], dependencies: Bool = false) {
        for id in plan.topologicalOrder {
            guard let step = plan[id] else { continue }
            let after =
                !dependencies || step.dependsOn.isEmpty ? "" : "  (after \(step.dependsOn.joined(separator: ", ")))"
            Terminal.line("• \(step.id)\(step.site.map { " [\($0)]" } ?? "")\(after)")
            for request in requests[step.id] ?? [] { Terminal.line("    \(request)") }
        }
    }

    /// One object per step: `id`, `site`, `requests` (and with `dependencies`, `kind` and `depends_on`).
    static func json(_ plan: Plan, _ requests: [String: [PreviewRequest]], dependencies: Bool = false) -> JSON {
        .array(
            plan.topologicalOrder.compactMap { plan[$0] }.map { step -> JSON in
                var fields: [String: JSON] = [
                    "id": .string(step.id), "site": step.site.map { .string($0) } ?? .null,
                    "requests": .array((requests[step.id] ?? []).map { .string($0.description) }),
                ]
                if dependencies {
                    fields["kind"] = .string(step.kind)
                    fields["depends_on"] = .array(step.dependsOn.map { .string($0) })
                }
                return .object(fields)
            })
    }
}

/// A multi-site plan's hand-offs, as `plan` and every operation's preview show them.
enum SiteHandOffs {
    /// Prints `hand-offs: a → b` and each turn's steps; false (nothing printed) for a single-site plan.
    @discardableResult
    static func print(_ plan: Plan) -> Bool {
        let turns = SiteAssignment.handOffs(plan)
        guard !turns.isEmpty else { return false }
        Terminal.line("hand-offs: \(turns.map(\.site).joined(separator: " → "))")
        for (number, turn) in turns.enumerated() {
            Terminal.line("  \(number + 1). site \(turn.site): \(turn.steps.joined(separator: ", "))")
        }
        return true
    }
}
