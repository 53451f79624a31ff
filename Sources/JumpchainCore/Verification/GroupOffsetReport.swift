/// Where each synced consumer group stands on each hop: per group and partition the committed offset on the
/// origin, the jump and the target (nil: no committed offset there), and the gap origin − target.
public struct GroupOffsetReport: Sendable, Codable, Equatable {
    public struct Row: Sendable, Codable, Equatable {
        /// The group as the origin names it.
        public var group: String
        /// The origin topic.
        public var topic: String
        public var partition: Int
        public var origin: Int64?
        public var jump: Int64?
        public var target: Int64?

        public init(group: String, topic: String, partition: Int, origin: Int64?, jump: Int64?, target: Int64?) {
            self.group = group
            self.topic = topic
            self.partition = partition
            self.origin = origin
            self.jump = jump
            self.target = target
        }

        /// How far the target's committed offset trails the origin's (the origin's offset when the target has
        /// none yet).
        public var gap: Int64 { max(0, (origin ?? 0) - (target ?? 0)) }
    }

    /// Groups on the origin the playbook's `consumer_groups` selects.
    public var groups: [String]
    public var rows: [Row]
    /// Offset-sync problems the link halves report (a leg's `ConsumerOffsetSync` task in error), by leg.
    public var problems: [String]
    /// Whether offset sync is on for both legs (groups reach the target only then).
    public var syncReachesTarget: Bool
    /// Whether the jump was read: a key-free `status` or `verify --watch` reads the origin and the target
    /// only, so the jump's column (and leg 1's offset-sync task) is not observed.
    public var jumpObserved: Bool

    public init(
        groups: [String], rows: [Row], problems: [String], syncReachesTarget: Bool, jumpObserved: Bool = true
    ) {
        self.groups = groups
        self.rows = rows
        self.problems = problems
        self.syncReachesTarget = syncReachesTarget
        self.jumpObserved = jumpObserved
    }

    enum CodingKeys: String, CodingKey {
        case groups, rows, problems, syncReachesTarget, jumpObserved
    }

    /// Reports saved before `jumpObserved` existed read the jump.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            groups: try c.decode([String].self, forKey: .groups), rows: try c.decode([Row].self, forKey: .rows),
            problems: try c.decode([String].self, forKey: .problems),
            syncReachesTarget: try c.decode(Bool.self, forKey: .syncReachesTarget),
            jumpObserved: try c.decodeIfPresent(Bool.self, forKey: .jumpObserved) ?? true)
    }

    /// Rows whose gap exceeds `maxLag`, and rows the origin has that have not reached the target at all.
    public func lagging(maxLag: Int64) -> [Row] {
        rows.filter { $0.gap > maxLag || ($0.origin != nil && $0.target == nil) }
    }

    /// One line per row (a fixed-width table), plus the problems.
    public func tableLines() -> [String] {
        guard !groups.isEmpty else {
            return ["consumer groups: none selected on the origin"] + problems.map { "  ✗ \($0)" }
        }
        func cell(_ value: Int64?) -> String { value.map(String.init) ?? "-" }
        let jumpCell = { (value: Int64?) in jumpObserved ? cell(value) : "n/o" }
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        var lines = ["consumer groups (committed offsets):"]
        lines.append(
            "  " + pad("GROUP", 20) + pad("PARTITION", 22) + pad("ORIGIN", 10) + pad("JUMP", 10) + pad("TARGET", 10)
                + "GAP")
        for row in rows {
            lines.append(
                "  " + pad(row.group, 20) + pad("\(row.topic)-\(row.partition)", 22) + pad(cell(row.origin), 10)
                    + pad(jumpCell(row.jump), 10) + pad(cell(row.target), 10) + String(row.gap))
        }
        if !jumpObserved {
            lines.append("  JUMP n/o: not observed (key-free: the jump was not read; use --inspect-jump to read it)")
        }
        lines += problems.map { "  ✗ \($0)" }
        return lines
    }
}
