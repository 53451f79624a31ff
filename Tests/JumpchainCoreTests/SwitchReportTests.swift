import Foundation
import JumpchainCore
import Testing

/// The arithmetic of the consumer-group table and of the two switch reports.
@Suite("group offsets, cutover and failover reports")
struct SwitchReportTests {
    @Test("a group row lags when its gap exceeds the limit or it has not reached the target")
    func groupRowsLag() {
        let report = GroupOffsetReport(
            groups: ["g"],
            rows: [
                .init(group: "g", topic: "t", partition: 0, origin: 10, jump: 10, target: 10),
                .init(group: "g", topic: "t", partition: 1, origin: 10, jump: 9, target: 4),
                .init(group: "g", topic: "t", partition: 2, origin: 3, jump: nil, target: nil),
            ], problems: [], syncReachesTarget: true)
        #expect(report.rows.map(\.gap) == [0, 6, 3])
        #expect(report.lagging(maxLag: 5).map(\.partition) == [1, 2])
        #expect(report.lagging(maxLag: 6).map(\.partition) == [2])
        #expect(report.tableLines().contains { $0.contains("t-1") && $0.hasSuffix("6") })
    }

    @Test("failover: at risk is origin minus target, unknown without both, a lower bound when recorded")
    func failoverAtRisk() {
        let report = FailoverReport(
            run: "r", dryRun: false, failedOver: ["t"],
            partitions: [
                .init(
                    topic: "t", targetTopic: "t", partition: 0, origin: 12, originSource: "recorded",
                    originObservedAt: "2026-01-01T00:00:00Z", target: 9),
                .init(
                    topic: "t", targetTopic: "t", partition: 1, origin: 5, originSource: "now", originObservedAt: nil,
                    target: 7),
                .init(
                    topic: "t", targetTopic: "t", partition: 2, origin: nil, originSource: "unknown",
                    originObservedAt: nil, target: 7),
            ], groups: [], unreachable: ["origin o: no answer"])
        #expect(report.partitions.map(\.atRisk) == [3, 0, nil])
        #expect(report.recordsAtRisk == 3)
        let lines = report.lines()
        #expect(lines.contains("  records at risk: 3"))
        #expect(lines.contains { $0.contains("lower bound") && $0.contains("2026-01-01T00:00:00Z") })
        #expect(lines.contains { $0.contains("unreachable: origin o") })
        #expect(FailoverReport.decode(nil) == nil)
    }
}
