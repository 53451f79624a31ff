import ConfluentAPI
import Foundation
import JumpchainCore
import JumpchainJSON
import Synchronization

/// An in-memory chain of three clusters implementing our own ``ChainObserver``: topics with per-partition log
/// ends, link halves, mirrors, and a replication step per ``advance()``. It serves ``Link`` and ``Mirror``
/// by decoding the same JSON shapes Kafka REST v3 returns, with `lag = source end − mirror end` and
/// `last_source_fetch_offset = mirror end − 1` (the simulator's semantics).
actor VerificationTestChain: ChainObserver {
    struct LinkHalf {
        var state = "ACTIVE"
        var error: String? = "NO_ERROR"
        var errorMessage: String?
        var tasks: [(name: String, state: String, errors: [(String, String)])] = []
    }

    struct MirrorState {
        var link: String
        var source: String
        var status = "ACTIVE"
        var error: String?
    }

    static let leg1 = "jumpchain-origin-to-jump"
    static let leg2 = "jumpchain-jump-to-target"
    static let ids: [PlaybookCluster.Role: String] = [.origin: "lkc-origin", .jump: "lkc-jump", .target: "lkc-target"]

    /// Log-end offsets per cluster, topic and partition.
    var ends: [PlaybookCluster.Role: [String: [Int64]]] = [.origin: [:], .jump: [:], .target: [:]]
    var links: [PlaybookCluster.Role: [String: LinkHalf]] = [:]
    var mirrors: [PlaybookCluster.Role: [String: MirrorState]] = [.jump: [:], .target: [:]]
    /// Records copied per partition per ``advance()`` on each hop.
    var rate: [ChainHop: Int64] = [.leg1: .max, .leg2: .max]
    var unobservable: Set<PlaybookCluster.Role> = []
    var advances = 0
    /// What ``originEndOffsets()`` answers (a consumer group's `log_end_offset`, as the origin reports it).
    var groupEnds: [TopicPartition: MeasuredOriginEnd] = [:]

    /// A healthy chain: every topic on the origin with the given log ends, mirrored and fully caught up.
    init(topics: [String: [Int64]]) {
        for (topic, topicEnds) in topics {
            for role in PlaybookCluster.Role.allCases { ends[role]![topic] = topicEnds }
            mirrors[.jump]![topic] = MirrorState(link: Self.leg1, source: topic)
            mirrors[.target]![topic] = MirrorState(link: Self.leg2, source: topic)
        }
        links = [
            .origin: [Self.leg1: LinkHalf()], .jump: [Self.leg1: LinkHalf()], .target: [Self.leg2: LinkHalf()],
        ]
    }

    nonisolated static func topology(_ topics: [String]) -> ChainTopology {
        ChainTopology(
            runName: "orders-migration", origin: .init(role: .origin, id: ids[.origin]!),
            jump: .init(role: .jump, id: ids[.jump]!), target: .init(role: .target, id: ids[.target]!),
            leg1Name: leg1, leg2Name: leg2, topics: topics.map { .init(origin: $0) })
    }

    // MARK: Mutations used by tests

    func setEnds(_ role: PlaybookCluster.Role, _ topic: String, _ values: [Int64]) { ends[role]![topic] = values }
    func setRate(_ hop: ChainHop, _ value: Int64) { rate[hop] = value }
    func setUnobservable(_ role: PlaybookCluster.Role) { unobservable.insert(role) }
    /// A consumer group's lags on `topic` as the origin reports them now: its `log_end_offset` per partition.
    func measureByGroup(_ topic: String) {
        for (partition, end) in (ends[.origin]![topic] ?? []).enumerated() {
            groupEnds[TopicPartition(topic: topic, partition: partition)] = .init(offset: end, source: .consumerGroup)
        }
    }
    func removeLink(_ role: PlaybookCluster.Role, _ name: String) { links[role]![name] = nil }
    func updateLink(_ role: PlaybookCluster.Role, _ name: String, _ change: (inout LinkHalf) -> Void) {
        change(&links[role]![name]!)
    }
    func updateMirror(_ role: PlaybookCluster.Role, _ topic: String, _ change: (inout MirrorState) -> Void) {
        change(&mirrors[role]![topic]!)
    }
    func deleteTopic(_ role: PlaybookCluster.Role, _ topic: String) { ends[role]![topic] = nil }

    /// Appends records to the origin's partitions.
    func produce(_ topic: String, _ counts: [Int64]) {
        for (partition, count) in counts.enumerated() { ends[.origin]![topic]![partition] += count }
    }

    /// One replication step: leg 1 then leg 2, each copying at most its rate per partition when its link
    /// halves are ACTIVE without error and the mirror is ACTIVE.
    func advance() {
        advances += 1
        for hop in ChainHop.allCases {
            let halvesOK = [hop.source, hop.destination].allSatisfy { role in
                guard let half = links[role]?[hop == .leg1 ? Self.leg1 : Self.leg2] else {
                    return role == .jump && hop == .leg2
                }
                return half.state == "ACTIVE" && (half.error ?? "NO_ERROR") == "NO_ERROR"
            }
            guard halvesOK else { continue }
            for (topic, mirror) in mirrors[hop.destination]! where mirror.status == "ACTIVE" {
                guard let source = ends[hop.source]![mirror.source], var copy = ends[hop.destination]![topic] else {
                    continue
                }
                for partition in copy.indices where partition < source.count {
                    copy[partition] += min(rate[hop]!, max(0, source[partition] - copy[partition]))
                }
                ends[hop.destination]![topic] = copy
            }
        }
    }

    // MARK: ChainObserver

    func linkHalf(role: PlaybookCluster.Role, link: String) async throws -> Link? {
        try check(role)
        guard let half = links[role]?[link] else { return nil }
        var object: [String: Any] = [
            "kind": "KafkaLinkData", "link_name": link, "cluster_link_id": "qz0HDEV-Qz2B5aPFpcWQJQ",
            "topic_names": [String](), "link_state": half.state,
            "tasks": half.tasks.map { task in
                [
                    "task_name": task.name, "state": task.state,
                    "errors": task.errors.map { ["error_code": $0.0, "error_message": $0.1] },
                ] as [String: Any]
            },
        ]
        object["link_error"] = half.error
        object["link_error_message"] = half.errorMessage
        return try decode(object)
    }

    func mirror(role: PlaybookCluster.Role, link: String, topic: String) async throws -> Mirror? {
        try check(role)
        // The path /links/<link>/mirrors/<topic> is a 404 once the link is gone.
        guard links[role]?[link] != nil, let mirror = mirrors[role]?[topic], mirror.link == link,
            let own = ends[role]![topic]
        else { return nil }
        let sourceRole: PlaybookCluster.Role = role == .jump ? .origin : .jump
        let source = ends[sourceRole]![mirror.source]
        let lags = own.enumerated().map { partition, end -> [String: Any] in
            let sourceEnd = source.flatMap { partition < $0.count ? $0[partition] : nil } ?? end
            return ["partition": partition, "lag": max(0, sourceEnd - end), "last_source_fetch_offset": end - 1]
        }
        var object: [String: Any] = [
            "kind": "KafkaMirrorData", "link_name": link, "mirror_topic_name": topic,
            "source_topic_name": mirror.source, "num_partitions": own.count, "mirror_lags": lags,
            "mirror_status": mirror.status, "state_time_ms": 0,
        ]
        object["mirror_topic_error"] = mirror.error
        return try decode(object)
    }

    func originEndOffsets() async throws -> [TopicPartition: MeasuredOriginEnd] {
        try check(.origin)
        return groupEnds
    }

    func topicExists(role: PlaybookCluster.Role, topic: String) async throws -> Bool {
        try check(role)
        return ends[role]![topic] != nil
    }

    func produceCanary(topic: String, key: String, value: String) async throws -> CanaryWrite {
        try check(.origin)
        guard ends[.origin]![topic] != nil else {
            throw ConfluentAPIError(
                code: .notFound, message: "This server does not host this topic-partition.", endpoint: "origin",
                request: "POST /topics/\(topic)/records", status: 404)
        }
        let offset = ends[.origin]![topic]![0]
        ends[.origin]![topic]![0] += 1
        return CanaryWrite(partition: 0, offset: offset)
    }

    private func check(_ role: PlaybookCluster.Role) throws {
        if unobservable.contains(role) {
            throw ChainObservationError(code: .unobservable, message: "no credentials for the \(role)")
        }
    }

    private func decode<Value: Decodable>(_ object: [String: Any]) throws -> Value {
        try JSONDecoder().decode(Value.self, from: JSONSerialization.data(withJSONObject: object))
    }
}

/// A clock that never waits: sleeping advances virtual time and lets the chain replicate one step.
final class VirtualClock: VerificationClock, @unchecked Sendable {
    private let lock = Mutex(())
    private var elapsed: Duration = .zero
    private let onSleep: @Sendable () async -> Void

    init(onSleep: @escaping @Sendable () async -> Void = {}) { self.onSleep = onSleep }

    func now() -> Duration { lock.withLock { _ in elapsed } }

    func sleep(for duration: Duration) async throws {
        lock.withLock { _ in elapsed += duration }
        await onSleep()
    }
}
