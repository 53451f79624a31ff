import Foundation

/// The data-at-risk report of a failover, as saved in the run (the `data-at-risk` step's `report` output).
public struct FailoverReport: Sendable, Codable, Equatable {
    public struct PartitionRow: Sendable, Codable, Equatable {
        public var topic: String
        public var targetTopic: String
        public var partition: Int
        /// The last origin end offset jumpchain could observe (nil: never observed).
        public var origin: Int64?
        /// `now` (observed during the failover) or `recorded` (by `verify`/`status` at ``originObservedAt``).
        public var originSource: String
        public var originObservedAt: String?
        /// The target's end offset at failover.
        public var target: Int64?

        public init(
            topic: String, targetTopic: String, partition: Int, origin: Int64?, originSource: String,
            originObservedAt: String?, target: Int64?
        ) {
            self.topic = topic
            self.targetTopic = targetTopic
            self.partition = partition
            self.origin = origin
            self.originSource = originSource
            self.originObservedAt = originObservedAt
            self.target = target
        }

        /// Records on the origin the target does not have (nil when either side is unknown).
        public var atRisk: Int64? {
            guard let origin, let target else { return nil }
            return max(0, origin - target)
        }
    }

    public struct GroupRow: Sendable, Codable, Equatable {
        /// The group as the target names it.
        public var group: String
        public var topic: String
        public var partition: Int
        /// Where the group's consumers resume on the target.
        public var target: Int64
    }

    public var run: String
    public var dryRun: Bool
    public var failedOver: [String]
    public var partitions: [PartitionRow]
    public var groups: [GroupRow]
    /// Clusters that did not answer within the per-cluster timeout (reported, never waited on).
    public var unreachable: [String]

    public init(
        run: String, dryRun: Bool, failedOver: [String], partitions: [PartitionRow], groups: [GroupRow],
        unreachable: [String]
    ) {
        self.run = run
        self.dryRun = dryRun
        self.failedOver = failedOver
        self.partitions = partitions
        self.groups = groups
        self.unreachable = unreachable
    }

    public var recordsAtRisk: Int64 { partitions.compactMap(\.atRisk).reduce(0, +) }

    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The report a failover operation saved, if it got that far.
    public static func decode(_ text: String?) -> FailoverReport? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(FailoverReport.self, from: Data(text.utf8))
    }

    public func lines() -> [String] {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        var lines = [
            dryRun
                ? "failover of run \(run) (dry run: nothing was failed over) — data at risk if it ran now:"
                : "failover of run \(run): \(failedOver.count) target mirror(s) failed over — data at risk:"
        ]
        for cluster in unreachable { lines.append("  unreachable: \(cluster) (not waited on)") }
        lines.append(
            "  " + pad("PARTITION", 24) + pad("ORIGIN (LAST SEEN)", 20) + pad("SEEN", 31) + pad("TARGET", 10)
                + "AT RISK")
        for row in partitions {
            let seen = row.originSource == "now" ? "now" : row.originObservedAt.map { "recorded \($0)" } ?? "never"
            lines.append(
                "  " + pad("\(row.topic)-\(row.partition)", 24) + pad(row.origin.map(String.init) ?? "?", 20)
                    + pad(seen, 31) + pad(row.target.map(String.init) ?? "?", 10)
                    + (row.atRisk.map(String.init) ?? "unknown"))
        }
        lines.append("  records at risk: \(recordsAtRisk)")
        if let recorded = partitions.first(where: { $0.originSource == "recorded" })?.originObservedAt {
            lines.append(
                "  (origin offsets recorded at \(recorded) are a lower bound: records written to the origin after "
                    + "that are not counted)")
        }
        if !failedOver.isEmpty { lines.append("  writable on the target: \(failedOver.joined(separator: ", "))") }
        if groups.isEmpty {
            lines.append("  consumer groups on the target: none")
        } else {
            lines.append("  consumer groups resume on the target from:")
            for row in groups {
                lines.append(
                    "    " + pad(row.group, 20) + pad("\(row.topic)-\(row.partition)", 22) + "offset \(row.target)")
            }
        }
        return lines
    }
}
