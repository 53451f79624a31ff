import Foundation

/// What a cutover did, as saved in the run (the `cutover-report` step's `report` output) and printed.
public struct CutoverReport: Sendable, Codable, Equatable {
    public struct PartitionRow: Sendable, Codable, Equatable {
        public var topic: String
        public var targetTopic: String
        public var partition: Int
        /// End offsets observed when every hop was equal, just before the promotion.
        public var origin: Int64
        public var jump: Int64
        public var target: Int64
        public var recordsLost: Int64
    }

    public struct GroupRow: Sendable, Codable, Equatable {
        public var group: String
        public var topic: String
        public var partition: Int
        public var origin: Int64?
        /// The committed offset on the target: where the group's consumers resume.
        public var target: Int64?
    }

    public var run: String
    /// When the promotion finished (ISO 8601, UTC).
    public var completedAt: String
    /// `passed` or `skipped` (`--no-quiet-check`).
    public var quietCheck: String
    public var partitions: [PartitionRow]
    public var promoted: [String]
    public var groups: [GroupRow]

    public var recordsLost: Int64 { partitions.reduce(0) { $0 + $1.recordsLost } }

    func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// The report a cutover operation saved, if it got that far.
    public static func decode(_ text: String?) -> CutoverReport? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(CutoverReport.self, from: Data(text.utf8))
    }

    /// The report as text lines.
    public func lines() -> [String] {
        func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
        }
        var lines = [
            "cutover of run \(run) completed at \(completedAt) — quiesce check \(quietCheck)"
                + (quietCheck == "skipped" ? " (--no-quiet-check: producers were not proven stopped)" : "")
        ]
        lines.append(
            "  " + pad("PARTITION", 24) + pad("ORIGIN", 10) + pad("JUMP", 10) + pad("TARGET", 10) + "RECORDS LOST")
        for row in partitions {
            lines.append(
                "  " + pad("\(row.topic)-\(row.partition)", 24) + pad(String(row.origin), 10)
                    + pad(String(row.jump), 10)
                    + pad(String(row.target), 10) + String(row.recordsLost))
        }
        lines.append("  records lost: \(recordsLost)")
        lines.append(
            "  promoted (writable on the target): \(promoted.isEmpty ? "none" : promoted.joined(separator: ", "))")
        if groups.isEmpty {
            lines.append("  consumer groups: none synced")
        } else {
            lines.append("  consumer groups resume on the target from:")
            for row in groups {
                lines.append(
                    "    " + pad(row.group, 20) + pad("\(row.topic)-\(row.partition)", 22)
                        + "offset \(row.target.map(String.init) ?? "-") (origin \(row.origin.map(String.init) ?? "-"))")
            }
        }
        return lines
    }
}
