public import ConfluentAPI

/// One entry of Confluent's `auto.create.mirror.topics.filters`
/// (`{"topicFilters":[{"name":…,"patternType":"LITERAL|PREFIXED","filterType":"INCLUDE|EXCLUDE"}]}`): a whole
/// topic name (LITERAL; `*` is every topic) or a name prefix (PREFIXED). A topic is mirrored when an INCLUDE
/// filter matches it and no EXCLUDE filter does.
public struct TopicFilter: Sendable, Hashable {
    public var name: String
    public var prefixed: Bool
    public var include: Bool

    public init(name: String, prefixed: Bool, include: Bool) {
        self.name = name
        self.prefixed = prefixed
        self.include = include
    }

    /// `LITERAL` or `PREFIXED`, as filters and ACL bindings write it.
    public var patternType: String { prefixed ? "PREFIXED" : "LITERAL" }

    public func matches(_ topic: String) -> Bool {
        prefixed ? topic.hasPrefix(name) : (name == "*" || name == topic)
    }

    /// What a whole-name pattern of `topics.patterns`/`topics.exclude` means as a filter: a name (LITERAL; `*`
    /// for `.*`) or a prefix (PREFIXED, for `prefix.*`).
    public enum Translation: Sendable, Hashable {
        case literal(String)
        case prefix(String)
        /// Cannot be a filter: why, and a pattern that can (when one is near).
        case refused(reason: String, suggestion: String?)
    }

    /// Translates a regular expression that matches whole topic names: an optional `^`, then topic-name
    /// characters (`.` escaped as `\.`; `-` and `_` may be escaped), then optionally `.*` and `$`. Anything
    /// else (classes, alternation, groups, other quantifiers, an unescaped `.` inside the name) is refused.
    public static func translate(_ pattern: String) -> Translation {
        var body = Substring(pattern)
        if body.hasPrefix("^") { body = body.dropFirst() }
        if body.hasSuffix("$"), !body.hasSuffix("\\$") { body = body.dropLast() }
        var literal = ""
        var prefixed = false
        var index = body.startIndex
        while index < body.endIndex {
            let character = body[index]
            let next = body.index(after: index)
            if character == "\\" {
                guard next < body.endIndex, isTopicCharacter(body[next]) else {
                    return refusal(pattern, "it escapes something that is not a topic-name character")
                }
                literal.append(body[next])
                index = body.index(after: next)
            } else if character == "." {
                if next < body.endIndex, body[next] == "*", body.index(after: next) == body.endIndex {
                    prefixed = true
                    index = body.endIndex
                } else {
                    return refusal(pattern, "an unescaped `.` matches any character")
                }
            } else if isTopicCharacter(character) {
                literal.append(character)
                index = next
            } else {
                return refusal(pattern, "`\(character)` makes it more than a name or a prefix")
            }
        }
        if prefixed { return literal.isEmpty ? .literal("*") : .prefix(literal) }
        return .literal(literal)
    }

    /// Letters, digits, `.`, `_` and `-`.
    static func isTopicCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || "._-".contains(character))
    }

    private static func refusal(_ pattern: String, _ reason: String) -> Translation {
        // The nearest expressible pattern: unescaped dots inside the name escaped.
        var escaped = ""
        var previousBackslash = false
        let characters = Array(pattern)
        for (offset, character) in characters.enumerated() {
            let endsInStar = offset + 2 == characters.count && characters[offset + 1] == "*"
            if character == ".", !previousBackslash, !endsInStar { escaped += "\\" }
            escaped.append(character)
            previousBackslash = character == "\\" && !previousBackslash
        }
        guard escaped != pattern else { return .refused(reason: reason, suggestion: nil) }
        if case .refused = translate(escaped) { return .refused(reason: reason, suggestion: nil) }
        return .refused(reason: reason, suggestion: escaped)
    }
}

extension TopicSelection {
    /// The auto-create filters of a link whose source names every topic with `prefix` in front (leg 2 after a
    /// leg 1 with a `cluster.link.prefix`): names, then patterns (INCLUDE), then exclusions (EXCLUDE). Nil when a
    /// pattern cannot be a filter (the playbook loader refuses such playbooks when `auto_create` is on).
    public func autoCreateFilters(prefix: String = "") -> [TopicFilter]? {
        func filter(_ pattern: String, include: Bool) -> TopicFilter? {
            switch TopicFilter.translate(pattern) {
            case .literal("*"):
                return prefix.isEmpty
                    ? TopicFilter(name: "*", prefixed: false, include: include)
                    : TopicFilter(name: prefix, prefixed: true, include: include)
            case .literal(let name): return TopicFilter(name: prefix + name, prefixed: false, include: include)
            case .prefix(let name): return TopicFilter(name: prefix + name, prefixed: true, include: include)
            case .refused: return nil
            }
        }
        var filters = names.map { TopicFilter(name: prefix + $0, prefixed: false, include: true) }
        for pattern in patterns {
            guard let translated = filter(pattern, include: true) else { return nil }
            filters.append(translated)
        }
        for pattern in exclude {
            guard let translated = filter(pattern, include: false) else { return nil }
            filters.append(translated)
        }
        return filters
    }

    /// `auto.create.mirror.topics.filters` as Confluent documents it.
    public static func topicFiltersJSON(_ filters: [TopicFilter]) -> String {
        let entries = filters.map { filter in
            "{\"name\":\(ConsumerGroupSelection.quoted(filter.name)),\"patternType\":\"\(filter.patternType)\","
                + "\"filterType\":\"\(filter.include ? "INCLUDE" : "EXCLUDE")\"}"
        }
        return "{\"topicFilters\":[" + entries.joined(separator: ",") + "]}"
    }
}

extension Playbook {
    /// The auto-create configs of each leg's destination half when `topics.auto_create` is on (leg 2's filter
    /// names carry leg 1's `cluster.link.prefix`, as the jump names its mirrors); nil when it is off.
    public var autoCreateConfigs: (leg1: [String: String], leg2: [String: String])? {
        guard topics.autoCreate, let leg1 = topics.autoCreateFilters(),
            let leg2 = topics.autoCreateFilters(prefix: link.leg1Options["cluster.link.prefix"] ?? "")
        else { return nil }
        func configs(_ filters: [TopicFilter]) -> [String: String] {
            [
                "auto.create.mirror.topics.enable": "true",
                "auto.create.mirror.topics.filters": TopicSelection.topicFiltersJSON(filters),
            ]
        }
        return (configs(leg1), configs(leg2))
    }

    /// What the link principals need for auto-created mirrors: READ, DESCRIBE and DESCRIBE_CONFIGS on every
    /// INCLUDE filter (LITERAL per name, PREFIXED per prefix, LITERAL `*` for every topic) — leg 1's on the
    /// origin for `originPrincipal`, leg 2's on the jump for the link service account. Exclusions need none.
    public func autoCreateACLs(originPrincipal: String?) -> (origin: [ACLBinding], jump: [ACLBinding]) {
        guard topics.autoCreate, let leg1 = topics.autoCreateFilters(),
            let leg2 = topics.autoCreateFilters(prefix: link.leg1Options["cluster.link.prefix"] ?? "")
        else { return ([], []) }
        func bindings(_ filters: [TopicFilter], _ principal: String) -> [ACLBinding] {
            filters.filter(\.include).flatMap { filter in
                ["READ", "DESCRIBE", "DESCRIBE_CONFIGS"].map {
                    ACLBinding(
                        resourceType: "TOPIC", resourceName: filter.name, patternType: filter.patternType,
                        principal: principal, operation: $0)
                }
            }
        }
        return (
            originPrincipal.map { bindings(leg1, $0) } ?? [], bindings(leg2, "User:" + link.serviceAccount)
        )
    }
}
