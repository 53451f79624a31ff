import ConfluentAPI
import ConfluentSimulator
import Foundation
import JumpchainCore
import JumpchainHTTP
import Synchronization
import Testing

@Suite("Observing mirrors by listing")
struct MirrorListingsTests {
    typealias Demo = SimulatorConfig.JumpDemo

    /// Polls `condition` every 20 ms, failing after 30 s.
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    func originRequests(_ sim: Simulator) -> Int {
        let state = (try? JSONSerialization.jsonObject(with: Data(sim.stateJSON().utf8))) as? [String: Any]
        let traffic = state?["traffic"] as? [String: [String: Any]]
        return traffic?[Demo.origin]?["requests"] as? Int ?? -1
    }

    /// A demo world and a Kafka REST client for its origin with the operator's key.
    func demoWithOriginClient() async throws -> (Simulator, KafkaRESTClient) {
        let sim = try await Simulator.start(.jumpDemo(), revealOperatorSecrets: true)
        guard let key = sim.connectionInfo.operatorKeys.first(where: { $0.id == Demo.operatorOriginKey }) else {
            await sim.stop()
            Issue.record("the demo world has no operator key \(Demo.operatorOriginKey)")
            throw CancellationError()
        }
        let client = KafkaRESTClient(
            endpoint: APIEndpoint(
                http: HTTPClient(), baseURL: sim.clusterRESTURL(clusterID: Demo.origin),
                credential: APICredential(key: key.id, secret: Secret(key.secret)), label: "origin"),
            clusterID: Demo.origin)
        return (sim, client)
    }

    @Test("k steps waiting on one cluster while a round is in flight share the next round: one list call")
    func waitingCallersShareOneListCall() async throws {
        let (sim, client) = try await demoWithOriginClient()
        defer { Task { await sim.stop() } }
        let listings = MirrorListings()
        let link = "no-such-link"
        // Hold the first round on the server, so the others arrive while it is in flight.
        sim.setFaults(FaultSettings(blackholed: [Demo.origin]))
        let first = Task { try await listings.mirror(client, link: link, topic: "first") }
        try await eventually("the first list call to be held") { originRequests(sim) == 1 }
        let k = 12
        let others = (0..<k).map { index in
            Task { try await listings.mirror(client, link: link, topic: "topic-\(index)") }
        }
        try await eventually("\(k + 1) callers waiting") {
            await listings.waitingCallers(clusterID: Demo.origin, link: link) == k + 1
        }
        sim.setFaults(FaultSettings())
        #expect(try await first.value == nil)
        for other in others { #expect(try await other.value == nil) }
        // Round 1 served the first caller; round 2, one list call, served all k others.
        #expect(await listings.listCalls(clusterID: Demo.origin, link: link) == 2)
        #expect(originRequests(sim) == 2)
    }

    @Test("verification reaches the shared listing through `any ChainObserver` (one list call, not one per mirror)")
    func verificationObserverListsThroughTheExistential() async throws {
        let (sim, client) = try await demoWithOriginClient()
        defer { Task { await sim.stop() } }
        let listings = MirrorListings()
        // The verifier holds its observer as `any ChainObserver`: the listing must be a protocol requirement,
        // or this call reaches the protocol extension's default (nil) and verification reads mirror by mirror.
        let observer: any ChainObserver = KafkaRESTChainObserver(
            origin: client, jump: nil, target: nil, listings: listings)
        let listing = try await observer.mirrorListing(role: .origin, link: "no-such-link")
        #expect(listing == [:])
        #expect(await listings.listCalls(clusterID: Demo.origin, link: "no-such-link") == 1)
    }

    /// While the cluster's pacer holds its requests back, a listing only takes a create's slot: the next round
    /// waits (up to `busySpacing`, here far longer than the test) and starts as soon as the cluster is no longer
    /// held back.
    @Test("a round waits while the cluster is held back by its pacer, and starts once it is not")
    func roundsWaitWhileThePacerHoldsTheCluster() async throws {
        let (sim, client) = try await demoWithOriginClient()
        defer { Task { await sim.stop() } }
        let held = Mutex(true)
        let listings = MirrorListings(busySpacing: .seconds(600)) { _ in held.withLock { $0 } }
        let link = "no-such-link"
        // The first round has no earlier one to be spaced from.
        #expect(try await listings.mirror(client, link: link, topic: "first") == nil)
        let second = Task { try await listings.mirror(client, link: link, topic: "second") }
        try await eventually("the second caller waiting") {
            await listings.waitingCallers(clusterID: Demo.origin, link: link) == 1
        }
        // Held back: several 50 ms checks pass without a second list call.
        try await Task.sleep(nanoseconds: 400_000_000)
        #expect(await listings.listCalls(clusterID: Demo.origin, link: link) == 1)
        #expect(originRequests(sim) == 1)
        held.withLock { $0 = false }
        #expect(try await second.value == nil)
        #expect(await listings.listCalls(clusterID: Demo.origin, link: link) == 2)
        #expect(originRequests(sim) == 2)
    }
}
