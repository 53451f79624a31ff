public import ConfluentAPI
import Foundation

/// What one site of a multi-site run read for the rollout's final verification, recorded in the shared state as
/// a step output (links, mirrors and offsets only: no secret). When no site reaches both the origin and the
/// target, the origin's site reads leg 1 (the origin's and the jump's halves, the jump's mirrors, the origin's
/// measured ends, the canary's produce) and the target's site reads leg 2 (the jump's and the target's halves, the
/// target's mirrors, the canary's arrival); ``SiteVerification`` then compares the two records.
public struct SiteObservation: Sendable, Equatable, Codable {
    /// One origin partition's measured end offset, and what measured it.
    public struct OriginEnd: Sendable, Equatable, Codable {
        public var topic: String
        public var partition: Int
        public var end: Int64
        public var source: OriginEndSource
    }

    /// The side that read it: `origin` (leg 1) or `target` (leg 2).
    public var side: PlaybookCluster.Role
    /// The hop this side read: leg 1 at the origin's site, leg 2 at the target's.
    public var hop: ChainObservation.HopObservation
    /// The origin's measured ends (origin side only), read before the jump's mirrors.
    public var originEnds: [OriginEnd]
    /// The canary: produced and followed to the jump at the origin's site, to the target at the target's.
    public var canary: CanaryResult?
    /// Rounds read before this record was taken (the last one is recorded).
    public var rounds: Int
    /// When the recorded round was read (ISO 8601, UTC); absent from records of older versions.
    public var observedAt: String?

    public init(
        side: PlaybookCluster.Role, hop: ChainObservation.HopObservation,
        originEnds: [TopicPartition: MeasuredOriginEnd] = [:],
        canary: CanaryResult? = nil, rounds: Int = 1, observedAt: String? = nil
    ) {
        self.observedAt = observedAt
        self.side = side
        self.hop = hop
        self.originEnds = originEnds.sorted { $0.key < $1.key }.map {
            OriginEnd(topic: $0.key.topic, partition: $0.key.partition, end: $0.value.offset, source: $0.value.source)
        }
        self.canary = canary
        self.rounds = rounds
    }

    /// The step output key its JSON is recorded under.
    public static let outputKey = "observation"

    /// Compact JSON with sorted keys (a step output).
    public func encoded() -> String { VerificationJSON.encodeValue(self, pretty: false) }

    /// The record of step `step`, or an error naming the step when it is absent or unreadable.
    public static func decode(_ text: String?, step: String) throws(ChainObservationError) -> SiteObservation {
        guard let text else {
            throw ChainObservationError(code: .rejected, message: "step \(step) recorded no observation")
        }
        do {
            return try JSONDecoder().decode(SiteObservation.self, from: Data(text.utf8))
        } catch {
            throw ChainObservationError(
                code: .rejected, message: "the observation step \(step) recorded cannot be read: \(error)")
        }
    }
}

/// Compares what the two sites of a multi-site run recorded (``SiteObservation``) as the one-site verification
/// judges a live observation: link halves healthy, mirrors ACTIVE with the same partitions on both hops, every
/// partition's end-to-end lag (the origin's end as the origin's site saw it, against the target's end as the
/// target's site saw it later) within the threshold, and the canary produced at the origin found at its offset
/// on the target.
public enum SiteVerification {
    /// The chain observation the two records make together; topics follow `topology` (a topic a record lacks is
    /// missing on that hop).
    public static func observation(
        origin: SiteObservation, target: SiteObservation, topology: ChainTopology
    ) -> ChainObservation {
        func aligned(_ hop: ChainObservation.HopObservation) -> ChainObservation.HopObservation {
            var hop = hop
            let byTopic = Dictionary(hop.mirrors.map { ($0.topic.origin, $0) }, uniquingKeysWith: { first, _ in first })
            hop.mirrors = topology.topics.map { topic in
                byTopic[topic.origin]
                    ?? .init(topic: topic, mirrorName: topology.mirrorName(topic, on: hop.hop), mirror: .missing)
            }
            return hop
        }
        var observation = ChainObservation(topology: topology, leg1: aligned(origin.hop), leg2: aligned(target.hop))
        for end in origin.originEnds {
            observation.originEnds[TopicPartition(topic: end.topic, partition: end.partition)] = MeasuredOriginEnd(
                offset: end.end, source: end.source)
        }
        return observation
    }

    /// The verdict on the two records: the report of their combined observation, with the canary's failures.
    public static func report(
        origin: SiteObservation, target: SiteObservation, topology: ChainTopology, threshold: Int64
    ) -> VerificationReport {
        var report = chainReport(origin: origin, target: target, topology: topology, threshold: threshold)
        report.rounds = target.rounds
        if let problem = canaryProblem(origin: origin.canary, target: target.canary) {
            report.failures.append("canary: \(problem)")
            report.passed = false
        }
        return report
    }

    /// `planned` plus every topic the origin's site recorded a leg 1 mirror of (with `topics.auto_create`, the
    /// mirrors the links created): what the target's site must have caught up with, and what the comparison covers.
    public static func topology(_ planned: ChainTopology, covering origin: SiteObservation) -> ChainTopology {
        var topology = planned
        var known = Set(planned.topics.map(\.origin))
        for mirror in origin.hop.mirrors where known.insert(mirror.topic.origin).inserted {
            topology.topics.append(mirror.topic)
        }
        return topology
    }

    /// What the origin's site saw on its own (leg 2 not read): each origin partition's end as that site derived it,
    /// for the record `failover` falls back on (``OriginOffsetRecord``).
    public static func originView(_ origin: SiteObservation, topology: ChainTopology) -> VerificationReport {
        let unread = ChainObservation.HopObservation(hop: .leg2, link: "", halves: [], mirrors: [])
        return chainReport(
            origin: origin, target: SiteObservation(side: .target, hop: unread), topology: topology, threshold: 0)
    }

    /// The origin's half judged alone (`verify --site` at the origin's site): leg 1 and each partition's lag on
    /// it, the target not read there (no partition, topic or diagnosis fails for it); `failures` (leg 1's
    /// problems) decide the verdict.
    public static func originHalfView(
        _ origin: SiteObservation, topology: ChainTopology, threshold: Int64, failures: [String]
    ) -> VerificationReport {
        let unread = ChainObservation.HopObservation(
            hop: .leg2, link: "", halves: [],
            mirrors: topology.topics.map {
                .init(topic: $0, mirrorName: topology.mirrorName($0, on: .leg2), mirror: .unobservable("not read here"))
            })
        var verifier = OffsetVerifier(topology: topology, observer: RecordedObserver())
        verifier.notReadHere = [.target]
        var report = verifier.report(
            observation(origin: origin, target: SiteObservation(side: .target, hop: unread), topology: topology),
            threshold: threshold)
        report.diagnoses.removeAll { $0.cluster == .target }
        report.passed = failures.isEmpty
        report.failures = failures
        return report
    }

    /// The verdict on the links, mirrors and offsets of the two records (the canary aside).
    public static func chainReport(
        origin: SiteObservation, target: SiteObservation, topology: ChainTopology, threshold: Int64
    ) -> VerificationReport {
        OffsetVerifier(topology: topology, observer: RecordedObserver()).report(
            observation(origin: origin, target: target, topology: topology), threshold: threshold)
    }

    /// Whether one hop's link halves are healthy and its mirrors ACTIVE (what the origin's site waits for).
    public static func settled(_ hop: ChainObservation.HopObservation) -> Bool {
        hop.halves.allSatisfy { $0.link.value?.isHealthy == true }
            && hop.mirrors.allSatisfy { $0.mirror.value?.mirrorStatus == "ACTIVE" }
    }

    /// Why the canary did not cross the chain, from the two sites' records; nil when it did (or none ran).
    static func canaryProblem(origin: CanaryResult?, target: CanaryResult?) -> String? {
        guard let origin else { return target == nil ? nil : "the target's site followed a canary never produced" }
        guard origin.write != nil, origin.passed else {
            return origin.failure ?? "it was not produced on the origin"
        }
        guard let target, target.id == origin.id, target.write == origin.write else {
            return "the target's site did not follow the canary \(origin.id) the origin's site produced"
        }
        return target.passed ? nil : target.failure ?? "it did not reach the target"
    }

    /// Reads nothing: a recorded observation is judged as it was recorded.
    struct RecordedObserver: ChainObserver {
        static let error = ChainObservationError(code: .unobservable, message: "a recorded observation reads nothing")
        func linkHalf(role: PlaybookCluster.Role, link: String) async throws -> Link? { throw Self.error }
        func mirror(role: PlaybookCluster.Role, link: String, topic: String) async throws -> Mirror? {
            throw Self.error
        }
        func topicExists(role: PlaybookCluster.Role, topic: String) async throws -> Bool { throw Self.error }
        func produceCanary(topic: String, key: String, value: String) async throws -> CanaryWrite { throw Self.error }
    }
}
