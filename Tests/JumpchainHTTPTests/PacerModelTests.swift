import Foundation
import SeededRandom
import Synchronization
import Testing

@testable import JumpchainHTTP

/// The pacer's learning, driven on a manual clock by a model of a rate-limited server (no sockets, no waiting):
/// eight workers send back to back through one pacer, each request reaches the server after the latency and a
/// seeded jitter, and the server answers 429 past its limit per window, as the simulator (fixed windows) or
/// Jetty's DoSFilter (a sliding second) do. Minutes of traffic run in milliseconds, so the steady state is seen.
@Suite("Request pacer learning (model server, manual clock)")
struct PacerModelTests {
    enum Window: CaseIterable { case fixed, sliding }

    /// Over two simulated minutes against an untold 50 requests/s, the pacer sends at ≥ 96% of the limit once it
    /// learnt it (after the first 5 s) and ≤ 2% of the requests meet a 429, with either kind of window.
    @Test(arguments: Window.allCases)
    func steadyStateIsNearTheLimit(window: Window) {
        let seed = SeededGenerator.seed(environment: ProcessInfo.processInfo.environment)
        var model = Model(limit: 50, window: window, seed: seed)
        model.run(until: .seconds(120))
        let steady = model.accepted(from: .seconds(5), to: .seconds(120))
        let rate = Double(steady) / 115
        let share = Double(model.tooMany) / Double(model.requests)
        print(
            "pacer model (\(window), seed \(seed)): \(model.requests) requests, \(model.tooMany) x 429, "
                + "\(String(format: "%.1f", rate))/s after 5 s, cap \(model.pacer.cap(url: Model.url) ?? -1)")
        #expect(rate >= 0.96 * 50)
        #expect(share <= 0.02)
    }

    /// The client stalls for 100 ms every second, so the tasks whose slots fell in the stall wake together: the
    /// pacer spreads them again (the cap counts the trailing second's actual sends), so they do not arrive as a
    /// burst: ≤ 2% 429s and ≥ 90% of the limit (the stalls take 10% of the client's time).
    @Test(arguments: Window.allCases)
    func lateWakeUpsDoNotBunch(window: Window) {
        let seed = SeededGenerator.seed(environment: ProcessInfo.processInfo.environment)
        var model = Model(limit: 50, window: window, seed: seed)
        model.stall = .milliseconds(100)
        model.run(until: .seconds(120))
        let rate = Double(model.accepted(from: .seconds(5), to: .seconds(120))) / 115
        let share = Double(model.tooMany) / Double(model.requests)
        print(
            "pacer model (\(window), 100 ms stall a second, seed \(seed)): \(model.requests) requests, "
                + "\(model.tooMany) x 429, \(String(format: "%.1f", rate))/s after 5 s, cap \(model.pacer.cap(url: Model.url) ?? -1)"
        )
        #expect(rate >= 0.9 * 50)
        #expect(share <= 0.02)
    }

    /// A 429 to a request sent within a second of the last hold says the hold ended before the server's window
    /// did: the host is held twice as long, and the cap stays (nothing new was learnt). A second later a 429 is
    /// news again.
    @Test func aWindowStillFullAfterTheHoldDoublesItAndKeepsTheCap() {
        let clock = ManualClock()
        let pacer = RequestPacer(settings: .init(hold: .milliseconds(250)), now: { clock.now })
        let url = Model.url
        answers(40, every: .milliseconds(24), pacer, clock)
        pacer.record(go(pacer), status: 429, headers: [:])
        #expect(pacer.cap(url: url) == 39)
        #expect(pacer.backlog(url: url) == .milliseconds(250))
        clock.advance(.milliseconds(300))
        pacer.record(go(pacer), status: 429, headers: [:])
        #expect(pacer.cap(url: url) == 39)
        #expect(pacer.backlog(url: url) == .milliseconds(500))
        clock.advance(.milliseconds(1100))
        pacer.record(go(pacer), status: 429, headers: [:])
        #expect(pacer.cap(url: url) == 19)  // nothing accepted in the last second: half, at most
        #expect(pacer.backlog(url: url) == .milliseconds(250))
    }

    /// A later 429 lowers the cap to what the server accepted in the last second, by one at least and by half at
    /// most (a second partly spent held, or one the pacer did not fill, cannot collapse it).
    @Test func theCapFollowsWhatTheServerAcceptedByOneAtLeastAndHalfAtMost() {
        let clock = ManualClock()
        let pacer = RequestPacer(
            settings: .init(growthInterval: .seconds(600), hold: .seconds(1)), now: { clock.now })
        let url = Model.url
        answers(40, every: .milliseconds(24), pacer, clock)
        pacer.record(go(pacer), status: 429, headers: [:])
        #expect(pacer.cap(url: url) == 39)
        // The hold passes; 1.23 s of answers, 25 of them in the last second, then a 429.
        clock.advance(.milliseconds(1100))
        answers(30, every: .milliseconds(41), pacer, clock)
        pacer.record(go(pacer), status: 429, headers: [:])
        #expect(pacer.cap(url: url) == 25)
        // 5 answers and a 429 just after the next hold: half of 25, not 5.
        clock.advance(.milliseconds(1100))
        answers(5, every: .milliseconds(41), pacer, clock)
        pacer.record(go(pacer), status: 429, headers: [:])
        #expect(pacer.cap(url: url) == 12)
    }

    /// One 429 the limit did not cause (a server hiccup) lowers the cap by one, not to a fraction of it: the
    /// pacer keeps sending at ≥ 94% of the limit.
    @Test func aTransient429CostsOneRequestPerSecond() {
        let seed = SeededGenerator.seed(environment: ProcessInfo.processInfo.environment)
        var model = Model(limit: 50, window: .fixed, seed: seed)
        let lines = Mutex<[String]>([])
        model.pacer.observe { line in lines.withLock { $0.append(line) } }
        model.run(until: .seconds(20))
        let before = model.pacer.cap(url: Model.url) ?? 0
        lines.withLock { $0 = [] }
        model.hiccupAt = model.now
        model.run(until: .seconds(22))
        let after = model.pacer.cap(url: Model.url) ?? 0
        model.run(until: .seconds(60))
        let accepted = model.accepted(from: .seconds(22), to: .seconds(60))
        let decreases = lines.withLock { $0 }.filter { $0.contains(" 429: cap ") }
        print(
            "pacer model (hiccup at 20 s, seed \(seed)): cap \(before) → \(after), \(accepted) accepted in 22-60 s; "
                + "\(decreases)")
        #expect(model.hiccups == 1)
        #expect(decreases.count == 1)  // the hiccup was learnt from (not ignored), once
        #expect(after == before - 1)
        #expect(Double(accepted) / 38 >= 0.94 * 50)
    }

    /// A 429 while the pacer was not what set the pace (one worker's light traffic, another client sharing the
    /// limit) says little about the limit: once eight workers keep the cluster busy, the pacer is back at ≥ 90% of
    /// the limit within seconds, not one request per probe interval.
    @Test func a429UnderLightLoadDoesNotPinTheCap() {
        let seed = SeededGenerator.seed(environment: ProcessInfo.processInfo.environment)
        var model = Model(limit: 50, window: .fixed, seed: seed, workers: 1)
        model.run(until: .seconds(5))
        model.hiccupAt = model.now
        model.run(until: .seconds(10))
        let light = model.pacer.cap(url: Model.url) ?? 0
        model.addWorkers(7)
        model.run(until: .seconds(40))
        let accepted = model.accepted(from: .seconds(20), to: .seconds(40))
        print("pacer model (a 429 under light load, seed \(seed)): cap \(light), then \(accepted) accepted in 20-40 s")
        #expect(model.hiccups == 1)
        #expect(Double(accepted) / 20 >= 0.9 * 50)
    }
}

/// Answers `count` requests through `pacer`, `spacing` apart.
private func answers(_ count: Int, every spacing: Duration, _ pacer: RequestPacer, _ clock: ManualClock) {
    for _ in 0..<count {
        let ticket = go(pacer)
        clock.advance(spacing)
        pacer.record(ticket, status: 200, headers: [:])
    }
}

/// A request let go now, whatever its slot (the tests drive the clock, not the slots).
private func go(_ pacer: RequestPacer) -> RequestPacer.Ticket {
    let ticket = pacer.reserve(url: Model.url)
    guard case .go(let sent) = pacer.send(ticket, url: Model.url) else {
        Issue.record("the pacer held a request the test expected to go")
        return ticket
    }
    return sent
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let base = ContinuousClock.now
    private let offset = Mutex(Duration.zero)
    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    var elapsed: Duration { offset.withLock { $0 } }
    func advance(_ by: Duration) { offset.withLock { $0 += by } }
    func set(_ to: Duration) { offset.withLock { $0 = max($0, to) } }
}

/// Eight closed-loop workers, one pacer, one rate-limited server; discrete events on a manual clock.
struct Model {
    static let url = "http://127.0.0.1:1/kafka/v3/clusters/lkc-model/links/l/mirrors"
    let clock = ManualClock()
    let pacer: RequestPacer
    let limit: Int
    let window: PacerModelTests.Window
    var random: SeededGenerator
    var latency = Duration.milliseconds(30)
    var jitterMs = 15.0
    var retryDelay = Duration.milliseconds(100)
    /// The client's process stalls this long every second (a busy machine, a big answer decoded): whatever its
    /// tasks were to do meanwhile happens together when it ends.
    var stall = Duration.zero
    /// The next request arriving at or after this answers 429 whatever the limit (a hiccup).
    var hiccupAt: Duration?
    private(set) var hiccups = 0
    private(set) var requests = 0
    private(set) var tooMany = 0
    private var acceptedAt: [Duration] = []
    private var arrivals: [Duration] = []  // the sliding window's, or the fixed window's start and count
    private var windowStart = Duration.zero
    private var windowCount = 0
    private var events: [(at: Duration, worker: Int, step: Step)] = []

    enum Step {
        case reserve
        case send(RequestPacer.Ticket)
        case arrive(RequestPacer.Ticket)
        case answer(RequestPacer.Ticket, status: Int)
    }

    init(limit: Int, window: PacerModelTests.Window, seed: UInt64, workers: Int = 8) {
        pacer = RequestPacer(now: { [clock] in clock.now })
        self.limit = limit
        self.window = window
        random = SeededGenerator(seed: seed)
        events = (0..<workers).map { (at: .zero, worker: $0, step: .reserve) }
    }

    var now: Duration { clock.elapsed }

    /// More closed-loop workers, starting now.
    mutating func addWorkers(_ count: Int) {
        let first = (events.map(\.worker).max() ?? -1) + 1
        events += (first..<first + count).map { (at: now, worker: $0, step: .reserve) }
    }

    func accepted(from: Duration, to: Duration) -> Int { acceptedAt.filter { $0 >= from && $0 < to }.count }

    mutating func run(until end: Duration) {
        while let index = events.indices.min(by: { events[$0].at < events[$1].at }), events[index].at < end {
            var event = events.remove(at: index)
            let intoSecond = event.at - .seconds(Int64(event.at / .seconds(1)))
            if intoSecond < stall {
                event.at += stall - intoSecond
                events.append(event)
                continue
            }
            clock.set(event.at)
            switch event.step {
            case .reserve:
                let ticket = pacer.reserve(url: Self.url)
                events.append((event.at + ticket.delay, event.worker, .send(ticket)))
            case .send(let ticket):
                // What `admit` does when the slot came (the model's tasks wake on time unless stalled).
                switch pacer.send(ticket, url: Self.url) {
                case .wait(let again):
                    events.append((event.at + again.delay, event.worker, .send(again)))
                case .go(let sent):
                    let jitter = Duration.microseconds(Int64(random.unit() * jitterMs * 1000))
                    events.append((event.at + latency + jitter, event.worker, .arrive(sent)))
                case .deadline:
                    Issue.record("no deadline in the model")
                }
            case .arrive(let ticket):
                let status = serve(at: event.at)
                events.append((event.at + latency, event.worker, .answer(ticket, status: status)))
            case .answer(let ticket, let status):
                pacer.record(ticket, status: status, headers: [:])
                events.append((event.at + (status == 429 ? retryDelay : .zero), event.worker, .reserve))
            }
        }
        clock.set(end)
    }

    /// The server's decision for a request arriving at `at` (events run in time order: arrivals in theirs).
    private mutating func serve(at: Duration) -> Int {
        requests += 1
        if let hiccup = hiccupAt, at >= hiccup {
            hiccupAt = nil
            hiccups += 1
            tooMany += 1
            return 429
        }
        let allowed: Bool
        switch window {
        case .fixed:
            if at - windowStart >= .seconds(1) {
                windowStart = at
                windowCount = 0
            }
            windowCount += 1
            allowed = windowCount <= limit
        case .sliding:
            arrivals.removeAll { at - $0 >= .seconds(1) }
            allowed = arrivals.count < limit
            if allowed { arrivals.append(at) }
        }
        guard allowed else {
            tooMany += 1
            return 429
        }
        acceptedAt.append(at)
        return 200
    }
}
