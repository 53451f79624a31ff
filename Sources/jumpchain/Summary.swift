import ConfluentAPI
import Foundation
import JumpchainCore
import JumpchainJSON
import Workflow

/// The end-of-command summaries: readable at a glance, or one JSON object.
enum Summary {
    static func print(_ report: Rollout.Report, format: OutputFormat) {
        switch report.operation {
        case .rollout: printRollout(report, format: format)
        case .teardown: printLines(report, TeardownSummary.lines(report), format: format)
        case .update: printLines(report, UpdateSummary.lines(report), format: format)
        case .cutover, .failover: printSwitch(report, format: format)
        }
    }

    /// A cutover's or a failover's saved report (text, or its JSON).
    static func printSwitch(_ report: Rollout.Report, format: OutputFormat) {
        let cutover = CutoverReport.decode(report.states[CutoverStep.Kind.report.rawValue]?.outputs["report"])
        let failover = FailoverReport.decode(report.states[FailoverStep.Kind.dataAtRisk.rawValue]?.outputs["report"])
        if format == .json {
            if let cutover { Terminal.line(json(cutover)) }
            if let failover { Terminal.line(json(failover)) }
            return
        }
        Terminal.line("")
        if report.alreadyComplete {
            Terminal.line(
                "run \(report.runName) already had its \(report.operation.rawValue) (\(report.directory)): nothing "
                    + "was sent, nothing changed. The saved report:")
        }
        for line in cutover?.lines() ?? failover?.lines() ?? [] { Terminal.line(line) }
        Terminal.line("  state           \(report.directory)")
    }

    /// A report as one JSON line.
    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func printRollout(_ report: Rollout.Report, format: OutputFormat) {
        if format == .json {
            var outputs: [String: JSON] = [:]
            for (id, record) in report.states {
                outputs[id] = .object(record.outputs.mapValues { .string($0) })
            }
            Terminal.line(
                JSONText.object([
                    "run": .string(report.runName), "directory": .string(report.directory),
                    "status": .string(report.status.rawValue), "already_complete": .bool(report.alreadyComplete),
                    "steps": .int(Int64(report.plan.steps.count)), "outputs": .object(outputs),
                    "session_keys_revoked": .array(report.sessionKeysMinted.map { .string($0) }),
                    "site": report.site.map { .string($0) } ?? .null,
                    "invariant": report.invariant.map { .string($0.line) } ?? .null,
                    "invariant_holds": report.invariant.map { .bool($0.holds) } ?? .null,
                ]))
            return
        }
        Terminal.line("")
        for line in RolloutSummary.lines(report) { Terminal.line(line) }
    }

    static func printLines(_ report: Rollout.Report, _ lines: [String], format: OutputFormat) {
        if format == .json {
            var outputs: [String: JSON] = [:]
            for (id, record) in report.states {
                outputs[id] = .object(record.outputs.mapValues { .string($0) })
            }
            Terminal.line(
                JSONText.object([
                    "run": .string(report.runName), "operation": .string(report.operation.rawValue),
                    "directory": .string(report.directory), "status": .string(report.status.rawValue),
                    "already_complete": .bool(report.alreadyComplete), "outputs": .object(outputs),
                    "invariant": report.invariant.map { .string($0.line) } ?? .null,
                    "invariant_holds": report.invariant.map { .bool($0.holds) } ?? .null,
                ]))
            return
        }
        Terminal.line("")
        for line in lines { Terminal.line(line) }
    }

    static func print(_ status: Rollout.Status, format: OutputFormat) {
        let sites = SiteProgress.of(status.plan, states: status.states.mapValues(\.state))
        if format == .json {
            let steps = status.plan.topologicalOrder.map { id -> JSON in
                let record = status.states[id]
                return .object([
                    "id": .string(id), "state": .string(record?.state.rawValue ?? "pending"),
                    "attempts": .int(Int64(record?.attempts ?? 0)),
                    "last_error": record?.lastError.map { .string($0) } ?? .null,
                ])
            }
            // Every operation after the rollout (updates, a teardown), in order.
            let operations = status.operations.map { operation -> JSON in
                let steps = operation.plan.topologicalOrder.map { id -> JSON in
                    .object([
                        "id": .string(id), "state": .string(operation.states[id]?.state.rawValue ?? "pending"),
                        "last_error": operation.states[id]?.lastError.map { .string($0) } ?? .null,
                    ])
                }
                // A cutover's or a failover's saved report.
                var saved: JSON = .null
                if let report = CutoverReport.decode(
                    operation.states[CutoverStep.Kind.report.rawValue]?.outputs["report"])
                {
                    saved = .embedded(json(report))
                } else if let report = FailoverReport.decode(
                    operation.states[FailoverStep.Kind.dataAtRisk.rawValue]?.outputs["report"])
                {
                    saved = .embedded(json(report))
                }
                return .object([
                    "operation": .string(operation.kind.rawValue), "directory": .string(operation.directory),
                    "status": .string(operation.runStatus.rawValue), "steps": .array(steps), "report": saved,
                    "sites": .array(
                        SiteProgress.of(operation.plan, states: operation.states.mapValues(\.state)).map {
                            .string($0.line)
                        }),
                ])
            }
            // One document: the recorded steps, later operations, and the live verification report (null with
            // --offline).
            Terminal.line(
                JSONText.object([
                    "run": .string(status.runName), "status": .string(status.runStatus.rawValue),
                    "steps": .array(steps), "operations": .array(operations),
                    "live_error": status.liveError.map { .string($0) } ?? .null,
                    "verification": status.report.map { .embedded(VerificationJSON.encode($0)) } ?? .null,
                    "consumer_groups": status.groups.map { .embedded(json($0)) } ?? .null,
                    "jump_inspected": .bool(status.jumpInspected),
                    "auto_created": .array(status.autoCreated.map { .string($0) }),
                    "session_keys_revoked": .array(status.sessionKeysMinted.map { .string($0) }),
                    "sites": .array(sites.map { .string($0.line) }),
                    "not_read": .array(status.notRead.map { .string($0) }),
                    "site_verdict": status.siteVerdict.map { .string($0) } ?? .null,
                    "site_passed": status.sitePassed.map { .bool($0) } ?? .null,
                ]))
            return
        }
        Terminal.line("run \(status.runName) (\(status.runStatus.rawValue)) in \(status.directory)")
        for site in sites { Terminal.line("  \(site.line)") }
        for id in status.plan.topologicalOrder {
            let record = status.states[id]
            let state = record?.state.rawValue ?? "pending"
            let error = record?.lastError.map { " — \($0)" } ?? ""
            Terminal.line("  \(state.padding(toLength: 10, withPad: " ", startingAt: 0)) \(id)\(error)")
        }
        for operation in status.operations {
            Terminal.line("then \(operation.kind.rawValue) (\(operation.runStatus.rawValue)) in \(operation.directory)")
            // A multi-site operation: what each site has done and what it waits for.
            for site in SiteProgress.of(operation.plan, states: operation.states.mapValues(\.state)) {
                Terminal.line("  \(site.line)")
            }
            for id in operation.plan.topologicalOrder {
                let record = operation.states[id]
                let state = record?.state.rawValue ?? "pending"
                let error = record?.lastError.map { " — \($0)" } ?? ""
                Terminal.line("  \(state.padding(toLength: 10, withPad: " ", startingAt: 0)) \(id)\(error)")
            }
        }
        for operation in status.operations {
            let saved =
                CutoverReport.decode(operation.states[CutoverStep.Kind.report.rawValue]?.outputs["report"])?.lines()
                ?? FailoverReport.decode(operation.states[FailoverStep.Kind.dataAtRisk.rawValue]?.outputs["report"])?
                .lines() ?? []
            for line in saved { Terminal.line(line) }
        }
        if let liveError = status.liveError { Terminal.line("live state unavailable: \(liveError)") }
        if let report = status.report {
            Terminal.line("")
            if !status.notRead.isEmpty {
                Terminal.line(
                    "live view from this site only: what it does not reach is not read (see the `not read from "
                        + "site` lines), and the verdict covers what it read")
            }
            var renderer = VerificationTableRenderer(color: Terminal.isTTY)
            renderer.notJudged = status.siteVerdict != nil && status.sitePassed == nil
            Terminal.line(renderer.render(report))
            Terminal.line(jumpLine(inspected: status.jumpInspected, keys: status.sessionKeysMinted))
            if !status.autoCreated.isEmpty {
                Terminal.line(
                    "auto-created by the links (topics.auto_create; not in the recorded plan): "
                        + status.autoCreated.joined(separator: ", "))
            }
        }
        for line in status.groups?.tableLines() ?? [] { Terminal.line(line) }
        for line in status.notRead { Terminal.line(line) }
        if let verdict = status.siteVerdict { Terminal.line(verdict) }
    }

    /// Says plainly whether the jump was read, and with which session key.
    static func jumpLine(inspected: Bool, keys: [String]) -> String {
        guard inspected else {
            return "jump: not inspected (key-free: observed from the origin and the target only; no session key "
                + "minted); per-partition origin→jump lag and the jump's mirror states were not observed — pass "
                + "--inspect-jump to read them"
        }
        return keys.isEmpty
            ? "jump: inspected with the operator's jump credentials"
            : "jump: inspected through session key \(keys.joined(separator: ", ")), minted for this command and revoked"
    }
}
