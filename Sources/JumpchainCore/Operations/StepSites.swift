public import Workflow

/// An endpoint a step calls. The jump's REST endpoint is called with a session key minted on the control plane,
/// so every step that calls the jump calls the control plane too.
public enum StepEndpoint: String, Sendable, Hashable, CaseIterable, Codable {
    case controlPlane = "control plane"
    case origin = "origin REST"
    case jump = "jump REST"
    case target = "target REST"

    /// The cluster behind the endpoint (nil for the control plane).
    public var cluster: PlaybookCluster.Role? {
        switch self {
        case .controlPlane: nil
        case .origin: .origin
        case .jump: .jump
        case .target: .target
        }
    }

    static func of(_ role: PlaybookCluster.Role) -> StepEndpoint {
        switch role {
        case .origin: .origin
        case .jump: .jump
        case .target: .target
        }
    }
}

/// A step kind of an operation (rollout, update, teardown, cutover, failover) that says which endpoints its steps
/// call: the one typed source for `doctor`'s per-step report and for where a multi-site plan runs each step.
public protocol SitedStepKind: CaseIterable, Sendable, RawRepresentable where RawValue == String {
    /// The operation these steps belong to.
    static var operation: OperationKind { get }
    /// Which endpoints a step of this kind calls in its widest (single-site) form.
    var calls: [StepEndpoint] { get }
    /// What `step` calls, narrowed by its parameters (by default: its kind's endpoints, narrowed to the private
    /// clusters a ``StepSites/clustersParameter`` lists).
    static func calls(_ step: StepSpec) -> [StepEndpoint]
    /// The step whose site `step` shares when both can run there (a leg's key steps run where its link half is
    /// created: the key's secret never leaves that process); nil for none.
    static func companion(of step: StepSpec) -> String?
}

extension SitedStepKind {
    public static func calls(_ step: StepSpec) -> [StepEndpoint] {
        guard let kind = Self(rawValue: step.kind) else { return [] }
        return StepSites.narrowed(kind.calls, step)
    }

    public static func companion(of step: StepSpec) -> String? { nil }
}

/// What the steps of every operation call, looked up by the operation a run records.
public enum StepSites {
    /// A step of a multi-site plan that reads only the clusters its site reaches (comma-separated roles); the
    /// endpoints it calls are narrowed to those (the control plane and the jump stay).
    public static let clustersParameter = "clusters"

    /// `calls` narrowed to the private clusters `step`'s ``clustersParameter`` lists (unchanged without one).
    public static func narrowed(_ calls: [StepEndpoint], _ step: StepSpec) -> [StepEndpoint] {
        guard let clusters = step.parameters[clustersParameter] else { return calls }
        let roles = Set(clusters.split(separator: ",").compactMap { PlaybookCluster.Role(rawValue: String($0)) })
        return calls.filter { endpoint in endpoint.cluster.map { $0 == .jump || roles.contains($0) } ?? true }
    }

    /// A preflight split in two for a plan whose sites each reach one private cluster (``Playbook/noSiteReachesBoth``):
    /// `step` checks what `first` reaches, then its copy `secondID` (after it) what `second` reaches.
    static func splitPreflight(
        _ step: StepSpec, first: PlaybookCluster.Role, second: PlaybookCluster.Role, secondID: String
    ) -> [StepSpec] {
        var (firstSide, secondSide) = (step, step)
        firstSide.parameters[clustersParameter] = first.rawValue
        secondSide.id = secondID
        secondSide.dependsOn = [step.id]
        secondSide.parameters[clustersParameter] = second.rawValue
        return [firstSide, secondSide]
    }

    /// `requests` less those to a private cluster that `calls` leaves out (a multi-site plan's narrowed step).
    public static func previewing(
        _ requests: [PreviewRequest], calls: [StepEndpoint], playbook: Playbook
    ) -> [PreviewRequest] {
        let reached = Set(calls.compactMap(\.cluster))
        let skipped = [playbook.origin, playbook.target].filter { !reached.contains($0.role) }.map {
            "\($0.restEndpoint)/kafka/v3/clusters/\($0.id)"
        }
        return requests.filter { request in !skipped.contains { "\(request.base)\(request.path)".hasPrefix($0) } }
    }

    /// The step kinds of `operation`.
    public static func kinds(of operation: OperationKind) -> any SitedStepKind.Type {
        switch operation {
        case .rollout: RolloutStep.Kind.self
        case .update: UpdateStep.Kind.self
        case .teardown: TeardownStep.Kind.self
        case .cutover: CutoverStep.Kind.self
        case .failover: FailoverStep.Kind.self
        }
    }

    /// What `step` of `operation` calls.
    public static func calls(_ step: StepSpec, of operation: OperationKind) -> [StepEndpoint] {
        kinds(of: operation).calls(step)
    }

    /// Every operation's step kinds with what each calls in its widest form, for `doctor`.
    public static var everyKind: [(operation: OperationKind, step: String, calls: [StepEndpoint])] {
        OperationKind.allCases.flatMap { operation in
            rows(kinds(of: operation)).map { (operation, $0.step, $0.calls) }
        }
    }

    private static func rows<Kind: SitedStepKind>(_ kind: Kind.Type) -> [(step: String, calls: [StepEndpoint])] {
        Kind.allCases.map { ($0.rawValue, $0.calls) }
    }
}

/// Places every step of a multi-site plan (of any operation) at a site that can reach every private cluster it
/// calls, as the operation's ``SitedStepKind`` says; steps on
/// public endpoints only (the jump, the control plane) go where they keep hand-offs few: with their
/// dependencies' site, else with the site of the first step after them that has to run somewhere.
public enum SiteAssignment {
    /// The sites that can run `step` of an operation whose steps are `Kind` (every site reaches the jump and the
    /// control plane).
    public static func candidates<Kind: SitedStepKind>(
        _ step: StepSpec, playbook: Playbook, steps: Kind.Type = RolloutStep.Kind.self
    ) -> [PlaybookSite] {
        let clusters = Kind.calls(step).compactMap(\.cluster)
        return playbook.siteList.filter { site in clusters.allSatisfy { playbook.site(site, reaches: $0) } }
    }

    /// `plan` (of an operation whose steps are `Kind`) with every step's ``StepSpec/site`` set (steps that already
    /// name one keep it); unchanged for a single-site playbook. Throws naming the step when no site can run it.
    public static func assign<Kind: SitedStepKind>(
        _ plan: Plan, playbook: Playbook, steps kind: Kind.Type = RolloutStep.Kind.self
    ) throws(JumpchainError) -> Plan {
        guard !playbook.siteList.isEmpty else { return plan }
        var steps = plan.steps
        var options: [[String]] = []
        for step in steps {
            let names = step.site.map { [$0] } ?? candidates(step, playbook: playbook, steps: kind).map(\.name)
            guard !names.isEmpty else {
                let needs = Kind.calls(step).compactMap(\.cluster).map(\.rawValue)
                throw JumpchainError(
                    .invalidInput,
                    "\(playbook.sourceFile): sites: no site reaches \(needs.joined(separator: " and ")), which step "
                        + "\(step.id) calls; add them to one site's `reaches`")
            }
            options.append(names)
        }
        // A step runs with its companion when both can (a leg's key steps where its link half is created).
        for (position, step) in steps.enumerated() {
            guard let companion = Kind.companion(of: step) else { continue }
            if let halfPosition = plan.index[companion] {
                let shared = options[position].filter(options[halfPosition].contains)
                if !shared.isEmpty { options[position] = shared }
            }
        }
        var chosen: [String?] = Array(repeating: nil, count: steps.count)
        for id in plan.topologicalOrder {
            let position = plan.index[id]!
            let names = options[position]
            if names.count == 1 {
                chosen[position] = names[0]
                continue
            }
            let fromDependency = steps[position].dependsOn.reversed().compactMap { chosen[plan.index[$0]!] }
                .first { names.contains($0) }
            chosen[position] =
                fromDependency ?? firstFixedSite(after: position, in: plan, options: options, among: names)
                ?? names[0]
        }
        for position in steps.indices { steps[position].site = chosen[position] }
        do {
            return try Plan(steps: steps)
        } catch {
            throw JumpchainError(.internalError, "site assignment broke the plan: \(error)", cause: error)
        }
    }

    /// The site of the nearest later step (breadth-first over dependents) that can run at one site only.
    private static func firstFixedSite(
        after position: Int, in plan: Plan, options: [[String]], among names: [String]
    )
        -> String?
    {
        let dependents = plan.steps.indices.map { index in
            plan.steps.indices.filter { plan.steps[$0].dependsOn.contains(plan.steps[index].id) }
        }
        var queue = dependents[position]
        var seen = Set(queue)
        var head = 0
        while head < queue.count {
            let next = queue[head]
            head += 1
            if options[next].count == 1, names.contains(options[next][0]) { return options[next][0] }
            for dependent in dependents[next] where seen.insert(dependent).inserted { queue.append(dependent) }
        }
        return nil
    }

    /// The order sites take turns in when each runs everything it can before handing off (as alternating
    /// `apply|resume --site` runs do): one entry per turn, with the steps it runs. Empty for a single-site plan.
    public static func handOffs(_ plan: Plan) -> [(site: String, steps: [String])] {
        guard let first = plan.steps.first?.site, plan.steps.allSatisfy({ $0.site != nil }) else { return [] }
        var done = Set<String>()
        var turns: [(site: String, steps: [String])] = []
        var current = first
        while done.count < plan.steps.count {
            var ran: [String] = []
            while true {
                let ready = plan.steps.filter {
                    !done.contains($0.id) && $0.site == current && $0.dependsOn.allSatisfy(done.contains)
                }
                if ready.isEmpty { break }
                for step in ready {
                    done.insert(step.id)
                    ran.append(step.id)
                }
            }
            if !ran.isEmpty { turns.append((current, ran)) }
            let frontier = plan.steps.first { !done.contains($0.id) && $0.dependsOn.allSatisfy(done.contains) }
            guard let next = frontier?.site else { break }
            current = next
        }
        return turns
    }
}

/// Where a multi-site run stands at each site, for `status`.
public struct SiteProgress: Sendable, Hashable {
    public var site: String
    public var done: Int
    public var total: Int
    /// This site's steps that can run now (every dependency done).
    public var runnable: [String]
    /// Other sites' steps this site waits for (only when it has nothing to run and the run is unfinished).
    public var waitsFor: [(site: String, step: String)]

    public static func == (lhs: SiteProgress, rhs: SiteProgress) -> Bool {
        lhs.site == rhs.site && lhs.done == rhs.done && lhs.total == rhs.total && lhs.runnable == rhs.runnable
            && lhs.waitsFor.map(\.step) == rhs.waitsFor.map(\.step)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(site)
        hasher.combine(done)
    }

    /// Each site of `plan` (in the order they first take a turn) with its progress; empty for a single-site plan.
    public static func of(_ plan: Plan, states: [String: StepState]) -> [SiteProgress] {
        let isDone = { (id: String) in states[id]?.isDone ?? false }
        let frontier = plan.steps.filter { !isDone($0.id) && $0.dependsOn.allSatisfy(isDone) }
        return SiteAssignment.handOffs(plan).map(\.site).reduce(into: [String]()) { sites, site in
            if !sites.contains(site) { sites.append(site) }
        }.map { site in
            let mine = plan.steps.filter { $0.site == site }
            let runnable = frontier.filter { $0.site == site }.map(\.id)
            // Nothing to run here while the run is unfinished: this site waits for the others.
            let waits =
                runnable.isEmpty
                ? frontier.filter { $0.site != site }.map { (site: $0.site ?? "?", step: $0.id) } : []
            return SiteProgress(
                site: site, done: mine.filter { isDone($0.id) }.count, total: mine.count, runnable: runnable,
                waitsFor: waits)
        }
    }

    /// `site origin-side: 12 of 14 done; runnable now: …` or `… waits for site target-side to run step leg2`.
    public var line: String {
        var text = "site \(site): \(done) of \(total) steps done"
        if !runnable.isEmpty { text += "; runnable now: \(runnable.joined(separator: ", "))" }
        if !waitsFor.isEmpty {
            text += "; waits for " + waitsFor.map { "site \($0.site) to run step \($0.step)" }.joined(separator: ", ")
        }
        return text
    }
}
