import ConfluentAPI
public import Workflow

extension Rollout {
    /// The origin topics a playbook selects, and how many each `topics.patterns` entry matched.
    public struct TopicResolution: Sendable {
        /// One pattern and the number of origin topics it selected (after `topics.exclude`).
        public struct PatternMatch: Sendable, Hashable {
            public var pattern: String
            public var matched: Int
        }

        /// The selected origin topics, sorted (the canary is not among them).
        public var topics: [String]
        /// Per pattern, in playbook order; empty without patterns.
        public var patterns: [PatternMatch]
        /// How many (non-internal) topics the origin has, when they were listed for the patterns.
        public var originTopics: Int?
    }

    /// What `plan` shows: the step graph, the topic selection and, with `validate`, what the servers said.
    public struct Preview: Sendable {
        public var plan: Plan
        public var topics: TopicResolution
        public var findings: [String]
    }

    /// The plan a playbook produces and, with `validate`, the servers' verdict on it. Secrets (including `stdin`
    /// lines) are resolved once for both. Without `validate` this only lists the origin's topics for patterns and
    /// sends nothing that changes anything; with it, only the jump session key is minted (and revoked before this
    /// returns, also on SIGINT/SIGTERM).
    public static func preview(
        _ playbook: Playbook, validate: Bool, options: Options
    ) async throws(JumpchainError) -> Preview {
        try await Interruption.run(
            enabled: validate && options.handleSignals,
            hint: "nothing was changed and the session key it minted was revoked"
        ) { () async throws(JumpchainError) -> Preview in
            try await RunSession.with(playbook, runName: playbook.runName, options: options, readOnly: !validate) {
                context throws(JumpchainError) in
                let resolution = try await resolveTopics(playbook, origin: context.origin)
                try requireTopics(resolution, playbook)
                let plan = try RolloutPlanner.plan(playbook, topics: resolution.topics)
                let findings =
                    validate ? try await self.validate(playbook, plan: plan, context: context, options: options) : []
                return Preview(plan: plan, topics: resolution, findings: findings)
            }
        }
    }

    /// Names plus pattern matches against the origin's topics, and how many each pattern matched.
    static func resolveTopics(
        _ playbook: Playbook, origin: KafkaRESTClient
    ) async throws(JumpchainError) -> TopicResolution {
        let selection = playbook.topics
        guard !selection.patterns.isEmpty else {
            return TopicResolution(topics: selection.names, patterns: [], originTopics: nil)
        }
        var existing: [String] = []
        // Rate limits and 5xx are retried here too (the transport's attempts may be spent by a long burst).
        for attempt in 1...5 {
            do {
                existing = try await origin.listTopics().map(\.topicName).filter { !$0.hasPrefix("_") }
                break
            } catch {
                guard error.isTransient, attempt < 5, !Task.isCancelled else {
                    throw JumpchainError(
                        .preflightFailed, "listing the origin's topics to match topics.patterns failed: \(error)",
                        cause: error)
                }
                try? await Task.sleep(for: .milliseconds(500 << attempt))
            }
        }
        var matches: [TopicResolution.PatternMatch] = []
        let selected: [String]
        do {
            for pattern in selection.patterns {
                let one = TopicSelection(names: [], patterns: [pattern], exclude: selection.exclude)
                matches.append(.init(pattern: pattern, matched: try one.matcher().select(from: existing).count))
            }
            selected = try selection.matcher().select(from: existing)
        } catch {
            throw JumpchainError(.invalidInput, error.description, cause: error)
        }
        return TopicResolution(
            topics: Array(Set(selection.names + selected)).sorted(), patterns: matches, originTopics: existing.count)
    }

    /// A rollout of nothing is refused before anything is created, unless the playbook says
    /// `topics.allow_empty: true`.
    static func requireTopics(_ resolution: TopicResolution, _ playbook: Playbook) throws(JumpchainError) {
        let selection = playbook.topics
        guard resolution.topics.isEmpty, !selection.allowEmpty else { return }
        let counts = resolution.patterns.map { "`\($0.pattern)` matched \($0.matched)" }.joined(separator: ", ")
        throw JumpchainError(
            .preflightFailed,
            "\(playbook.sourceFile): topics selects no topic on the origin \(playbook.origin.id) (\(counts) of its "
                + "\(resolution.originTopics ?? 0) topics\(selection.exclude.isEmpty ? "" : ", after topics.exclude")); "
                + "nothing was changed: fix topics.patterns, or set topics.allow_empty: true to mirror only the "
                + "canary")
    }
}
