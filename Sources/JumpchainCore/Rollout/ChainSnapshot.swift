import ConfluentAPI
import JumpchainHTTP

/// Per-partition state of the chain at one moment, derived from the jump and target mirrors' `mirror_lags`.
///
/// Mirrors keep offsets, so a mirror's end offset equals its source's end offset minus its lag; the simulator
/// reports `lag = source end − mirror end`. End-to-end lag is the sum of the two hops' lags.
public struct ChainSnapshot: Sendable {
    public struct Partition: Sendable {
        public var topic: String
        public var partition: Int
        public var jumpLag: Int64
        public var targetLag: Int64
        public var jumpStatus: String
        public var targetStatus: String
        public var endToEndLag: Int64 { jumpLag + targetLag }
    }
    public var partitions: [Partition]
    public var missing: [String]

    public var maxEndToEndLag: Int64 { partitions.map(\.endToEndLag).max() ?? 0 }

    /// The first reason the chain does not pass, or nil.
    public func firstProblem(threshold: Int64) -> String? {
        if let first = missing.first { return first }
        if let bad = partitions.first(where: { $0.jumpStatus != "ACTIVE" || $0.targetStatus != "ACTIVE" }) {
            return "\(bad.topic): jump mirror \(bad.jumpStatus), target mirror \(bad.targetStatus)"
        }
        if let slow = partitions.max(by: { $0.endToEndLag < $1.endToEndLag }), slow.endToEndLag > threshold {
            return "\(slow.topic)-\(slow.partition) end-to-end lag \(slow.endToEndLag)"
        }
        return nil
    }
}

/// Reads a ``ChainSnapshot`` through the rollout's clients.
struct ChainSnapshotReader {
    let context: RolloutContext
    let topics: [String]

    func read(report: (@Sendable (String) -> Void)?) async throws -> ChainSnapshot {
        let playbook = context.playbook
        let jump = try await context.jump(report: report)
        var partitions: [ChainSnapshot.Partition] = []
        var missing: [String] = []
        let leg1Prefix = playbook.link.leg1Options["cluster.link.prefix"] ?? ""
        let leg2Prefix = playbook.link.leg2Options["cluster.link.prefix"] ?? ""
        for topic in topics {
            let jumpName = leg1Prefix + topic
            let targetName = leg2Prefix + jumpName
            guard let jumpMirror = try await jump.mirror(link: playbook.link.leg1Name, topic: jumpName) else {
                missing.append("jump mirror \(jumpName) is missing")
                continue
            }
            guard let targetMirror = try await context.target.mirror(link: playbook.link.leg2Name, topic: targetName)
            else {
                missing.append("target mirror \(targetName) is missing")
                continue
            }
            let targetLags = Dictionary(
                targetMirror.mirrorLags.map { ($0.partition, $0) }, uniquingKeysWith: { a, _ in a })
            for lag in jumpMirror.mirrorLags.sorted(by: { $0.partition < $1.partition }) {
                partitions.append(
                    ChainSnapshot.Partition(
                        topic: topic, partition: lag.partition, jumpLag: lag.lag,
                        targetLag: targetLags[lag.partition]?.lag ?? 0, jumpStatus: jumpMirror.mirrorStatus,
                        targetStatus: targetMirror.mirrorStatus))
            }
        }
        return ChainSnapshot(partitions: partitions, missing: missing)
    }
}
