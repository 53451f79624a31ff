import Synchronization
import Testing

@testable import JumpchainHTTP

/// The pacer after a 429 from a server with an untold limit counted in one-second windows, driven by a clock of
/// the test's own (no sleeps, no timed assertions).
@Suite struct PacerWindowTests {
    /// Time in milliseconds since the test's start, moved by the test.
    final class TestClock: Sendable {
        let start = ContinuousClock.now
        let milliseconds = Mutex(0)
        var now: ContinuousClock.Instant { start + .milliseconds(milliseconds.withLock { $0 }) }
        func set(_ value: Int) { milliseconds.withLock { $0 = value } }
    }

    static let url = "http://127.0.0.1:1/kafka/v3/clusters/lkc-1/topics"

    /// 50 requests accepted in the last second, then a 429: the cap is 48, and the host is held until the
    /// server's window (which holds the latest 48 sends) must be over, not a whole second; the next second sends
    /// at most the cap.
    @Test func a429AfterAFullSecondWaitsForTheWindowNotASecond() {
        let clock = TestClock()
        // 64/s spaces slots 15.625 ms apart (exact), so requests every 20 ms are never held back.
        let pacer = RequestPacer(settings: .init(initialRate: 64), now: { clock.now })
        for index in 0..<50 {
            clock.set(index * 20)
            let ticket = pacer.reserve(url: Self.url)
            #expect(ticket.delay == .zero)
            pacer.record(ticket, status: 200, headers: [:])
        }
        clock.set(1_000)
        let refused = pacer.reserve(url: Self.url)
        pacer.record(refused, status: 429, headers: [:])
        #expect(pacer.cap(url: Self.url) == 48)
        // Sends at 0, 20, …, 1,000 ms: the 48th latest went at 60 ms, so the window is over by 1,060 ms.
        let next = pacer.reserve(url: Self.url)
        #expect(next.delay == .milliseconds(80))
        // The next second's slots keep to the cap in every trailing second.
        var slots = [next.sentAt]
        for _ in 0..<120 { slots.append(pacer.reserve(url: Self.url).sentAt) }
        for (index, slot) in slots.enumerated() {
            #expect(slots[index...].prefix { $0 - slot < .seconds(1) }.count <= 48)
        }
    }

    /// A 429 while few of this pacer's requests went out in the last second (someone else spent the budget):
    /// the host is held for a whole second.
    @Test func a429AfterFewSendsHoldsASecond() {
        let clock = TestClock()
        let pacer = RequestPacer(settings: .init(), now: { clock.now })
        let ticket = pacer.reserve(url: Self.url)
        pacer.record(ticket, status: 200, headers: [:])
        clock.set(100)
        let refused = pacer.reserve(url: Self.url)
        pacer.record(refused, status: 429, headers: [:])
        #expect(pacer.reserve(url: Self.url).delay == .seconds(1))
    }
}
