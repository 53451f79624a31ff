public import ConfluentAPI
import Foundation
import JumpchainHTTP

/// Observes mirror topics by listing: one `GET /links/{link}/mirrors` per round and per (cluster, link)
/// serves every caller waiting on that cluster, instead of one `GET …/mirrors/{topic}` each.
///
/// A caller always gets a listing from a round that *started after* it asked, so observe-then-act keeps its
/// meaning (what it sees is at least as new as its question). Callers that ask while a round is in flight
/// share the next round; one round is in flight per (cluster, link) at a time.
///
/// While the cluster's pacer is what holds requests back (the creates are queued behind the cluster's rate
/// limit), rounds start at most every ``busySpacing``: a listing then only takes a slot from a create and
/// delays the queue, it cannot make the steps it serves act sooner. As soon as the pacer no longer holds
/// requests back, the usual spacing applies.
public actor MirrorListings {
    private var rounds: [String: CoalescingRound<[String: Mirror]>] = [:]
    /// The least time between two rounds of one link while ``busy`` says the cluster's requests are held back.
    public let busySpacing: Duration
    private let busy: @Sendable (KafkaRESTClient) -> Bool

    /// `busy` tells whether the cluster of a client is held back by its pacer; by default, whether a request to
    /// it asked for now would wait at least ``busyBacklog`` for its slot.
    public init(
        busySpacing: Duration = .seconds(1), busy: (@Sendable (KafkaRESTClient) -> Bool)? = nil
    ) {
        self.busySpacing = busySpacing
        self.busy = busy ?? Self.pacerHoldsRequests
    }

    /// How long a request must wait for its pacer slot for the cluster to count as held back (5 requests at
    /// 50 requests/s).
    static let busyBacklog: Duration = .milliseconds(100)

    static func pacerHoldsRequests(_ client: KafkaRESTClient) -> Bool {
        guard let pacer = client.endpoint.http.configuration.pacer else { return false }
        return pacer.backlog(url: client.endpoint.baseURL) >= busyBacklog
    }

    /// The mirror `topic` on `link` of `client`'s cluster, or nil when the listing does not have it (or the
    /// link does not exist).
    public func mirror(_ client: KafkaRESTClient, link: String, topic: String) async throws -> Mirror? {
        try await listing(client, link: link)[topic]
    }

    /// A fresh listing of `link`'s mirrors on `client`'s cluster, by mirror topic name.
    public func listing(_ client: KafkaRESTClient, link: String) async throws -> [String: Mirror] {
        let key = client.clusterID + "\u{0}" + link
        let busy = self.busy
        let round =
            rounds[key]
            ?? CoalescingRound<[String: Mirror]>(
                spacing: Self.spacing(after:), busySpacing: busySpacing, busy: { busy(client) })
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

    /// The least time between two list calls of one link, from the size of the last listing: 0.25 ms per
    /// mirror, at least 50 ms, at most 1 s (250 ms for 1,000 mirrors). A large listing is costly to serve and
    /// to decode; a handful of mirrors (the demo) is listed again after 50 ms. While the creates are queued
    /// behind the cluster's pacer, ``busySpacing`` applies instead, so listings do not take the creates' budget.
    static func spacing(after listing: [String: Mirror]) -> Duration {
        .microseconds(min(1_000_000, max(50_000, listing.count * 250)))
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
/// While `busy()` says so, rounds start at least `busySpacing` apart (checked every 50 ms, so a round starts
/// soon after the cluster stops being busy).
actor CoalescingRound<Value: Sendable> {
    private var waiters: [(needed: Int, continuation: CheckedContinuation<Value, any Error>)] = []
    private var scheduled = false
    private(set) var started = 0
    private var lastStart: ContinuousClock.Instant?
    private var minimumSpacing: Duration = .zero
    private let spacing: @Sendable (Value) -> Duration
    private let busySpacing: Duration
    private let busy: @Sendable () -> Bool
    var waiting: Int { waiters.count }

    init(
        spacing: @escaping @Sendable (Value) -> Duration = { _ in .zero }, busySpacing: Duration = .zero,
        busy: @escaping @Sendable () -> Bool = { false }
    ) {
        self.spacing = spacing
        self.busySpacing = busySpacing
        self.busy = busy
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
            if let last = lastStart {
                while ContinuousClock.now < last + busySpacing, busy() {
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
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
