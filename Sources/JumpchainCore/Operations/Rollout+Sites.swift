import ConfluentAPI
import Foundation
import Workflow

/// Multi-site runs (`sites:` in the playbook, `apply|resume --site NAME`): each site runs the steps it can reach,
/// hands off through the shared store, and checks at the end of every run the link-key invariant for what it did.
extension Rollout {
    /// A site that does not run the first step cannot create the run: it waits for the run to exist (`--wait`) or
    /// stops with "another site's turn".
    static func awaitRunStart(
        _ playbook: Playbook, playbookPath: String, site: String?, directory: String, options: Options
    ) async throws(JumpchainError) {
        guard let site, let first = playbook.siteList.first?.name, site != first else { return }
        let backend = options.backend
        func exists() throws(JumpchainError) -> Bool {
            try wrap { () throws(WorkflowError) in try backend.runExists(directory) }
        }
        if try exists() { return }
        let line =
            "waiting for site \(first) to run step \(RolloutStep.preflight): run \(playbook.runName) does not exist "
            + "yet; site \(first) starts it with \(command("apply \(playbookPath)", site: first))"
        try await waitForStart(line, options: options, here: command("apply \(playbookPath)", site: site)) {
            () throws(JumpchainError) in try exists()
        }
    }

    /// Another site starts the run or operation: with `--wait`, says `line` and polls until `started` holds;
    /// with `--no-wait`, stops with "another site's turn" and `line`. `here`: the command that goes on at this
    /// site when the wait is stopped (SIGINT/SIGTERM).
    static func waitForStart(
        _ line: String, options: Options, here: String, until started: () throws(JumpchainError) -> Bool
    ) async throws(JumpchainError) {
        guard options.waitForOtherSites else {
            throw JumpchainError(.otherSiteTurn, "another site's turn: \(line)")
        }
        options.notice?(line)
        try await poll(options: options, next: line, here: here, until: started)
    }

    /// The states of the steps this runner leaves to other sites.
    static func foreignStates(
        _ store: any RunStateStore, plan: Plan, configuration: RunnerConfiguration
    )
        -> [String: StepState]
    {
        guard configuration.site != nil else { return [:] }
        let states = (try? store.stepStates()) ?? [:]
        var foreign: [String: StepState] = [:]
        for step in plan.steps where !configuration.runsHere(step) { foreign[step.id] = states[step.id] ?? .pending }
        return foreign
    }

    /// `--wait`: tells what this site waits for, then polls the store until another site's step changes state.
    static func waitForOtherSites(
        _ awaiting: [StepSpec], store: any RunStateStore, plan: Plan, configuration: RunnerConfiguration,
        since: [String: StepState], options: Options
    ) async throws(JumpchainError) {
        for step in awaiting {
            options.notice?("waiting for site \(step.site ?? "?") to run step \(step.id)")
        }
        let next = continuation(
            run: RunOperations.runName(ofKey: store.runName), awaiting: awaiting, here: configuration.site)
        try await poll(options: options, next: next) { () throws(JumpchainError) in
            foreignStates(store, plan: plan, configuration: configuration) != since
        }
    }

    /// Polls `done` every ``Options/sitePollInterval`` until it holds; gives up after ``Options/siteWaitTimeout``
    /// (another site's turn, saying `next`: what to run where) and stops on SIGINT/SIGTERM (interrupted, saying
    /// `here`, the command that goes on at this site, when given; else the command's own hint follows).
    static func poll(
        options: Options, next: String, here: String? = nil, until done: () throws(JumpchainError) -> Bool
    ) async throws(JumpchainError) {
        let deadline = ContinuousClock.now + .seconds(options.siteWaitTimeout)
        while try !done() {
            guard ContinuousClock.now < deadline else {
                throw JumpchainError(
                    .otherSiteTurn,
                    "another site's turn: gave up waiting after \(Int(options.siteWaitTimeout))s; \(next)")
            }
            do {
                try await Task.sleep(for: .seconds(options.sitePollInterval))
            } catch {
                throw JumpchainError(
                    .interrupted,
                    "stopped while waiting for another site; nothing was left half done"
                        + (here.map { "; continue with \($0)" } ?? ""))
            }
        }
    }

    /// "Another site's turn": what this site waits for and how to go on.
    static func otherSitesTurn(_ report: Report) -> JumpchainError {
        let waits = report.awaiting.map { "waiting for site \($0.site ?? "?") to run step \($0.id)" }
        var lines = waits
        lines.append(
            "another site's turn: "
                + continuation(run: report.runName, awaiting: report.awaiting, here: report.site) + " (or pass --wait)")
        if let invariant = report.invariant { lines.append(invariant.line) }
        return JumpchainError(.otherSiteTurn, lines.joined(separator: "\n"))
    }

    /// "continue there with `jumpchain resume RUN --site OTHER`, then here with `… --site HERE`".
    static func continuation(run: String, awaiting: [StepSpec], here: String?) -> String {
        "continue there with "
            + Set(awaiting.compactMap(\.site)).sorted().map { resumeCommand(run, site: $0) }.joined(separator: " or ")
            + (here.map { ", then here with \(resumeCommand(run, site: $0))" } ?? "")
    }

    /// The multi-site link-key invariant, checked at the end of every run at every site: for each leg this site
    /// runs (every leg once the run succeeded), the jump holds exactly the one key of that leg that its link half
    /// holds (none before the half exists). A run that succeeded therefore leaves two keys, each held by its link.
    static func siteInvariant(
        _ context: RolloutContext, store: any RunStateStore, plan: Plan, site: String?
    ) async
        -> Invariant?
    {
        let playbook = context.playbook
        let jump = playbook.jump.id
        let keys: [APIKey]
        do {
            keys = try await context.controlPlane.listAPIKeys(
                owner: playbook.link.serviceAccount, resource: playbook.jump.id)
        } catch {
            return Invariant(
                holds: false, line: "invariant: could not list the API keys of the jump \(jump) to check it: \(error)")
        }
        let records = (try? store.stepRecords()) ?? [:]
        let succeeded = (try? store.metadata().status) == .succeeded
        var holds = true
        var parts: [String] = []
        for (leg, half) in [("leg1", RolloutStep.leg1Source), ("leg2", RolloutStep.leg2)] {
            guard succeeded || site == nil || plan[half]?.site == site else { continue }
            let tag = context.linkKeyTag(leg: leg)
            let live = keys.filter { $0.spec.description?.hasPrefix(tag) == true }.map(\.id).sorted()
            let record = records[half]
            let held = record?.state == .succeeded ? record?.outputs["key_id"] : nil
            let expected = held.map { [$0] } ?? []
            let ok = live == expected
            holds = holds && ok
            let heldText = held.map { "held by its link (\($0))" } ?? "no link half yet"
            parts.append(
                "\(leg): \(live.count) live key\(live.count == 1 ? "" : "s")"
                    + (live.isEmpty ? "" : " (\(live.joined(separator: ", ")))") + ", \(heldText) \(ok ? "✓" : "✗")")
        }
        // The origin link key (leg 1's local credentials), checked where leg 1 runs: exactly the one its half holds.
        if context.playbook.link.mintsOriginKey, succeeded || site == nil || plan[RolloutStep.leg1Source]?.site == site
        {
            let record = records[RolloutStep.leg1Source]
            let held = record?.state == .succeeded ? record?.outputs["local_key_id"] : nil
            if let originKeys = try? await context.controlPlane.listAPIKeys(
                owner: playbook.link.originKeyOwner, resource: playbook.origin.id)
            {
                let live = originKeys.filter { $0.spec.description?.hasPrefix(context.originKeyTag + ";") == true }
                    .map(\.id).sorted()
                let ok = live == (held.map { [$0] } ?? [])
                holds = holds && ok
                parts.append(
                    "origin link key: \(live.count) live" + (live.isEmpty ? "" : " (\(live.joined(separator: ", ")))")
                        + ", \(held.map { "held by leg 1 (\($0))" } ?? "no source half yet") \(ok ? "✓" : "✗")")
            } else {
                holds = false
                parts.append("origin link key: could not list the origin's API keys ✗")
            }
        }
        let scope = succeeded || site == nil ? "" : " at site \(site!)"
        let total =
            succeeded
            ? "; the jump holds \(keys.filter { context.isLinkKey($0.spec.description) }.count) link keys of this run"
            : ""
        return Invariant(
            holds: holds, line: "invariant\(scope): one link key per leg — \(parts.joined(separator: "; "))\(total)")
    }
}
