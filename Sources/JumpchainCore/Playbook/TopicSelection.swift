/// `topics:` — which origin topics to mirror: exact names and/or regular expressions, minus exclusions.
///
/// Patterns match the whole topic name (`orders\..*` matches `orders.eu`, not `old.orders.eu`).
public struct TopicSelection: Sendable, Hashable, Codable {
    public var names: [String]
    public var patterns: [String]
    public var exclude: [String]
    /// `allow_empty: true`: a selection that matches no origin topic is accepted (only the canary, if any, is
    /// mirrored). Without it an empty selection stops `plan` and `apply` before anything is changed.
    public var allowEmpty: Bool

    public init(names: [String], patterns: [String], exclude: [String], allowEmpty: Bool = false) {
        self.names = names
        self.patterns = patterns
        self.exclude = exclude
        self.allowEmpty = allowEmpty
    }

    enum CodingKeys: String, CodingKey {
        case names, patterns, exclude
        case allowEmpty = "allow_empty"
    }

    /// Runs recorded before `allow_empty` existed have no such key: it reads as false.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        names = try container.decode([String].self, forKey: .names)
        patterns = try container.decode([String].self, forKey: .patterns)
        exclude = try container.decode([String].self, forKey: .exclude)
        allowEmpty = try container.decodeIfPresent(Bool.self, forKey: .allowEmpty) ?? false
    }

    /// Compiles the patterns (already validated when the playbook loaded).
    public func matcher() throws(PlaybookError) -> TopicMatcher {
        func compile(_ pattern: String) throws(PlaybookError) -> Regex<AnyRegexOutput> {
            do {
                return try Regex(pattern)
            } catch {
                throw PlaybookError(code: .invalidPattern, message: "invalid topic pattern `\(pattern)`: \(error)")
            }
        }
        var included: [Regex<AnyRegexOutput>] = []
        for pattern in patterns { included.append(try compile(pattern)) }
        var excluded: [Regex<AnyRegexOutput>] = []
        for pattern in exclude { excluded.append(try compile(pattern)) }
        return TopicMatcher(names: Set(names), patterns: included, exclude: excluded)
    }
}

/// Decides which of the origin's topics a playbook selects.
public struct TopicMatcher: @unchecked Sendable {
    // @unchecked: Regex is immutable after compilation and safe to share.
    let names: Set<String>
    let patterns: [Regex<AnyRegexOutput>]
    let exclude: [Regex<AnyRegexOutput>]

    /// Whether `topic` is named or matches a pattern, and matches no exclusion.
    public func matches(_ topic: String) -> Bool {
        guard names.contains(topic) || patterns.contains(where: { topic.wholeMatch(of: $0) != nil }) else {
            return false
        }
        return !exclude.contains { topic.wholeMatch(of: $0) != nil }
    }

    /// The selected topics among `topics`, sorted, without duplicates.
    public func select(from topics: some Sequence<String>) -> [String] {
        Set(topics.filter(matches)).sorted()
    }
}
