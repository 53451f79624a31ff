import Foundation
import Workflow

/// The last origin end offsets jumpchain observed for a run (written by `verify` and `status`, and by a multi-site
/// rollout's cross-site verification from what the origin's site read in `verify:origin`), so that a
/// `failover` on the day the origin is gone can say what was there before the outage. One JSON document kept
/// beside the run by its backend (SQLite: a file in the run directory; PostgreSQL: a row of
/// `jumpchain.run_document`); offsets and topic names only.
public struct OriginOffsetRecord: Sendable, Codable, Equatable {
    /// When the offsets were observed (ISO 8601, UTC).
    public var observedAt: String
    /// Origin topic → partition → end offset.
    public var offsets: [String: [Int: Int64]]

    enum CodingKeys: String, CodingKey {
        case observedAt = "observed_at"
        case offsets
    }

    static let fileName = "last-origin-offsets.json"

    /// The origin end offsets a verification report shows (nil when it shows none).
    static func from(_ report: VerificationReport, at date: Date = Date()) -> OriginOffsetRecord? {
        var offsets: [String: [Int: Int64]] = [:]
        for topic in report.topics {
            for partition in topic.partitions {
                guard let end = partition.originEnd else { continue }
                offsets[topic.topic, default: [:]][partition.partition] = end
            }
        }
        guard !offsets.isEmpty else { return nil }
        return OriginOffsetRecord(observedAt: Self.timestamp(date), offsets: offsets)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The origin end offsets the origin's site read in a multi-site rollout's `verify:origin` (each partition's end
    /// as that site derived it), at the time it read them; nil when it shows none or does not say when.
    static func from(_ origin: SiteObservation, topology: ChainTopology) -> OriginOffsetRecord? {
        guard let observedAt = origin.observedAt,
            var record = from(SiteVerification.originView(origin, topology: topology))
        else { return nil }
        record.observedAt = observedAt
        return record
    }

    /// Saves the offsets `report` shows beside the run whose key is `root` (best effort: a failure to record
    /// never fails `verify` or `status`).
    static func save(_ report: VerificationReport, root: String, backend: any RunStateBackend) {
        guard let record = from(report) else { return }
        save(record, root: root, backend: backend)
    }

    /// Saves `record` beside the run whose key is `root` unless the one there was observed later (best effort).
    static func save(_ record: OriginOffsetRecord, root: String, backend: any RunStateBackend) {
        if let current = load(root: root, backend: backend), current.observedAt > record.observedAt { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(record) else { return }
        try? backend.setDocument(fileName, ofRun: root, data)
    }

    /// The recorded offsets of the run whose key is `root`, if any.
    static func load(root: String, backend: any RunStateBackend) -> OriginOffsetRecord? {
        guard !root.isEmpty, let data = try? backend.document(fileName, ofRun: root) else { return nil }
        return try? JSONDecoder().decode(OriginOffsetRecord.self, from: data)
    }
}
