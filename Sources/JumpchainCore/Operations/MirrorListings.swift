public import ConfluentAPI
import Foundation

/// Observes mirror topics by listing: one `GET /links/{link}/mirrors` per round and per (cluster, link)
/// serves every caller waiting on that cluster, instead of one `GET …/mirrors/{topic}` each.
///
/// A caller always gets a listing from a round that *started after* it asked, so observe-then-act keeps its
/// meaning (what it sees is at least as new as its question). Callers that ask while a round is in flight
/// share the next round; one round is in flight per (cluster, link) at a time.
public actor MirrorListings {
    private var rounds: [String: CoalescingRound<[String: Mirror]>] = [:]

    public init() {}

    /// The mirror `topic` on `link` of `client`'s cluster, or nil when the listing does not have it (or the
    /// link does not exist).
    public func mirror(_ client: KafkaRESTClient, link: String, topic: String) async throws -> Mirror? {
        try await listing(client, link: link)[topic]
    }

    /// A fresh listing of `link`'s mirrors on `client`'s cluster, by mirror topic name.
    public func listing(_ client: KafkaRESTClient, link: String) async throws -> [String: Mirror] {
        let key = client.clusterID + "\u{0}" + link
        let round = rounds[key] ?? CoalescingRound<[String: Mirror]>(spacing: Self.spacing(after:))
        rounds[key] = round
        return try await round.fresh {
            do {
                let mirrors = try await client.mirrors(link: link)
                return Dictionary(mirrors.map { ($0.mirrorTopicName, $0) }, uniquingKeysWith: { first, _ in first })
            } catch let error as ConfluentAPIError where error.code == .notFound {
                return [:]
            }
        }
    }

    /// The least time between two list calls of one link, from the size of the last listing: 0.5 ms per
    /// mirror, at least 50 ms, at most 1 s (500 ms for 1,000 mirrors). A rollout of many mirrors has callers
    /// waiting all the time: back-to-back list calls would spend a share of the cluster's request budget that
    /// the creates need, and a large listing is costly to serve; a handful of mirrors (the demo) is listed
    /// again after 50 ms.
    static func spacing(after listing: [String: Mirror]) -> Duration {
        .microseconds(min(1_000_000, max(50_000, listing.count * 500)))
    }

    /// How many callers wait for a listing of `link` on `clusterID` (for tests).
    public func waitingCallers(clusterID: String, link: String) async -> Int {
        guard let round = rounds[clusterID + "\u{0}" + link] else { return 0 }
        return await round.waiting
    }

    /// How many list calls were made for `link` on `clusterID` (for tests and benchmarks).
    public func listCalls(clusterID: String, link: String) async -> Int {
        guard let round = rounds[clusterID + "\u{0}" + link] else { return 0 }
        return await round.started
    }
}

/// One fetch in flight at a time; every caller gets the result of a fetch that started after it called.
///
/// Rounds start at least `spacing(previous result)` apart (measured start to start): with callers always
/// waiting (hundreds of steps waiting on one cluster), back-to-back list calls would otherwise spend a large
/// share of the cluster's request budget; a caller that asks while the next round waits for its start joins it.
actor CoalescingRound<Value: Sendable> {
    private var waiters: [(needed: Int, continuation: CheckedContinuation<Value, any Error>)] = []
    private var scheduled = false
    private(set) var started = 0
    private var lastStart: ContinuousClock.Instant?
    private var minimumSpacing: Duration = .zero
    private let spacing: @Sendable (Value) -> Duration
    var waiting: Int { waiters.count }

    init(spacing: @escaping @Sendable (Value) -> Duration = { _ in .zero }) {
        self.spacing = spacing
    }

    func fresh(_ fetch: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let needed = started + 1
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((needed, continuation))
            if !scheduled { schedule(fetch) }
        }
    }

    private func schedule(_ fetch: @escaping @Sendable () async throws -> Value) {
        scheduled = true
        let delay = lastStart.map { $0 + minimumSpacing - ContinuousClock.now } ?? .zero
        Task {
            if delay > .zero { try? await Task.sleep(for: delay) }
            let round = self.begin()
            let result: Result<Value, any Error>
            do { result = .success(try await fetch()) } catch { result = .failure(error) }
            self.finish(round, result, fetch)
        }
    }

    private func begin() -> Int {
        started += 1
        lastStart = ContinuousClock.now
        return started
    }

    private func finish(
        _ round: Int, _ result: Result<Value, any Error>, _ fetch: @escaping @Sendable () async throws -> Value
    ) {
        scheduled = false
        if case .success(let value) = result { minimumSpacing = spacing(value) }
        let ready = waiters.filter { $0.needed <= round }
        waiters.removeAll { $0.needed <= round }
        for waiter in ready { waiter.continuation.resume(with: result) }
        if !waiters.isEmpty { schedule(fetch) }
    }
}
