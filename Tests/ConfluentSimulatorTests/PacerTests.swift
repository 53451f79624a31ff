import ConfluentSimulator
import Foundation
import JumpchainHTTP
import JumpchainJSON
import Testing

@Suite("Request pacing against the simulator")
struct PacerTests {
    typealias Demo = SimulatorConfig.JumpDemo

    /// Eight workers sharing one paced client against a 25 req/s limit they are not told. Before the first 429
    /// nothing is known, so up to eight requests already in flight may be refused together (how many depends on
    /// how the machine schedules them); after that at most 2% of the 200 (slots given out before a 429 are taken
    /// again under the learnt cap). Unpaced, most of the 200 would be refused.
    @Test func concurrentWorkersLearnAnUntoldLimit() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        try await world.setFaults(["requestsPerSecond": [Demo.origin: 25]])
        let pacer = RequestPacer()
        let client = HTTPClient(configuration: .init(maxConnectionsPerHost: 8, pacer: pacer))
        let url = world.api(Demo.origin) + "/topics"
        let credential = APICredential(key: world.origin.key, secret: Secret(world.origin.secret))
        let start = ContinuousClock.now
        let statuses = try await withThrowingTaskGroup(of: [(Duration, Int)].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var seen: [(Duration, Int)] = []
                    for _ in 0..<25 {
                        let response = try await client.execute(
                            HTTPRequest(method: .get, url: url, credential: credential))
                        seen.append((ContinuousClock.now - start, response.status))
                    }
                    return seen
                }
            }
            var all: [(Duration, Int)] = []
            for try await seen in group { all += seen }
            return all.sorted { $0.0 < $1.0 }
        }
        let limited = statuses.filter { $0.1 == 429 }
        print(
            "pacer: \(limited.count) of \(statuses.count) answered 429 at \(limited.map { "\($0.0)" }); cap \(pacer.cap(url: url) ?? -1)"
        )
        #expect(limited.count <= 8 + 4)
    }

    /// A host held by Retry-After past the command's deadline: the pacer does not wait beyond a
    /// ``RequestDeadline``; the request is sent unpaced and answered.
    @Test func pacerNeverWaitsPastTheDeadline() async throws {
        let world = try await DemoWorld.start()
        defer { Task { await world.stop() } }
        let pacer = RequestPacer()
        let client = HTTPClient(configuration: .init(pacer: pacer))
        let url = world.api(Demo.origin) + "/topics"
        let credential = APICredential(key: world.origin.key, secret: Secret(world.origin.secret))
        pacer.record(pacer.reserve(url: url), status: 429, headers: ["Retry-After": "600"])
        let held = pacer.reserve(url: url)
        #expect(held.delay > .seconds(60))
        let admitted = try await pacer.admit(url: url, notAfter: ContinuousClock.now + .seconds(5))
        #expect(admitted == nil)
        let response = try await RequestDeadline.within(.seconds(5)) {
            try await client.send(HTTPRequest(method: .get, url: url, credential: credential))
        }
        #expect(response.status == 200)
    }

    /// The backlog says how long a request asked for now would wait: zero for a host nothing was sent to or
    /// whose slots are all in the past, about one second after ten slots were taken at 10 requests/s (so a
    /// listing can tell that the pacer, not the server's answers, is what holds a cluster's requests back).
    @Test func backlogIsTheWaitOfTheNextSlot() {
        let pacer = RequestPacer(settings: .init(initialRate: 10))
        let url = "http://127.0.0.1:1/kafka/v3/clusters/lkc-x/topics"
        #expect(pacer.backlog(url: url) == .zero)
        let first = pacer.reserve(url: url)
        #expect(first.delay == .zero)
        for _ in 0..<9 { _ = pacer.reserve(url: url) }
        // Ten slots 100 ms apart: the eleventh is a second after the first.
        let backlog = pacer.backlog(url: url)
        #expect(backlog > .milliseconds(500) && backlog <= .seconds(1))
        #expect(pacer.backlog(url: "http://127.0.0.1:2/other") == .zero)
    }
}
