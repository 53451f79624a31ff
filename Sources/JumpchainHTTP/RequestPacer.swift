import Foundation
import Synchronization

/// Paces the requests of one or more ``HTTPClient``s per host (`scheme://host:port`, i.e. per cluster REST
/// endpoint or control plane) to a limit it learns from the server's 429 answers, so that every step sharing
/// the pacer shares one budget per cluster and a burst of retries cannot make a rate limit worse: every
/// attempt, retries included, takes a slot.
///
/// The limit is not told. Until the first 429 the pacer only spaces requests `1/rate` apart, and the rate
/// grows by one request per second for each answer to a request the pacer held back (slow start: about
/// doubling every second while the pacer is what limits). A 429 on a request sent after the last decrease sets a
/// *cap*: at most 95% of the answers that were not 429 in the last second (what the server just accepted)
/// may be sent in any trailing second, and the spacing follows the cap. 429s of requests already in flight
/// do not lower it again, and the host is held for a second (the server's window is full) or as long as
/// the answer's hint says. After 30 s without a 429 the cap grows by one (the limit may have risen), and a
/// 429 lowers it again. A sliding-second cap under the server's limit also keeps every fixed window of the
/// server's under it. `Retry-After` / `X-RateLimit-Reset` on a 429, and `X-RateLimit-Remaining: 0` with
/// `X-RateLimit-Reset` on any answer, hold the host until then.
public final class RequestPacer: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: `hosts` is only read or written under `lock`.

    /// Tuning of the pacer; the defaults suit Confluent's per-cluster limits (tens of requests per second).
    public struct Settings: Sendable, Equatable {
        /// Requests per second before anything was learnt.
        public var initialRate: Double
        public var maximumRate: Double

        public init(initialRate: Double = 50, maximumRate: Double = 10_000) {
            self.initialRate = initialRate
            self.maximumRate = maximumRate
        }
    }

    /// What a caller holds between ``reserve(url:)`` and ``record(_:status:headers:)``.
    public struct Ticket: Sendable {
        let host: String
        let sentAt: ContinuousClock.Instant
        let delayed: Bool
        /// The host's decrease count when the slot was given: a slot given before a 429 is taken again.
        let epoch: Int
        /// How long to wait before sending.
        public let delay: Duration
    }

    struct Host {
        var rate: Double
        var next: ContinuousClock.Instant
        /// Requests allowed in any trailing second, once a 429 taught it.
        var cap: Int?
        var lastDecrease: ContinuousClock.Instant?
        var epoch = 0
        /// Send times of the last second's requests (ascending).
        var sent: [ContinuousClock.Instant] = []
        /// When each recent answer that was not a 429 arrived (the last second's).
        var accepted: [ContinuousClock.Instant] = []
    }

    public let settings: Settings
    private let lock = Mutex(())
    private var hosts: [String: Host] = [:]
    private let clock = ContinuousClock()

    public init(settings: Settings = Settings()) { self.settings = settings }

    /// The learnt cap for the host of `url`, in requests per trailing second (nil until a 429 taught one).
    public func cap(url: String) -> Int? {
        lock.withLock { _ in hosts[Self.hostKey(url)]?.cap }
    }

    /// How long a request to the host of `url` asked for now would wait for its slot: zero unless the pacer is
    /// what holds the host's requests back (requests queued behind its spacing, its cap, or a hold after a 429).
    public func backlog(url: String) -> Duration {
        let now = clock.now
        return lock.withLock { _ in
            guard let host = hosts[Self.hostKey(url)], host.next > now else { return .zero }
            return host.next - now
        }
    }

    /// Takes the next slot for the host of `url`.
    public func reserve(url: String) -> Ticket {
        reserve(url: url, notAfter: nil)!
    }

    /// Takes the next slot for the host of `url` unless it is at or past `deadline` (then nothing is taken).
    func reserve(url: String, notAfter deadline: ContinuousClock.Instant?) -> Ticket? {
        let key = Self.hostKey(url)
        let now = clock.now
        return lock.withLock { _ in
            var host = hosts[key] ?? Host(rate: settings.initialRate, next: now)
            var slot = max(now, host.next)
            host.sent.removeFirst(host.sent.prefix { slot - $0 >= .seconds(1) }.count)
            if let cap = host.cap, host.sent.count >= cap {
                slot = max(slot, host.sent[host.sent.count - cap] + .seconds(1))
                host.sent.removeFirst(host.sent.prefix { slot - $0 >= .seconds(1) }.count)
            }
            if let deadline, slot > now, slot >= deadline { return nil }
            host.sent.append(slot)
            host.next = slot + .seconds(1 / host.rate)
            hosts[key] = host
            return Ticket(host: key, sentAt: slot, delayed: slot > now, epoch: host.epoch, delay: slot - now)
        }
    }

    /// Takes a slot for the host of `url` and waits for it; a slot that a 429 made stale while waiting
    /// (it was given under the old limit) is taken again. Throws `CancellationError` when the task is cancelled.
    /// With `notAfter` (a ``RequestDeadline``), returns nil instead of waiting for a slot at or past it: the
    /// pacer never holds a request beyond the command's deadline.
    public func admit(url: String, notAfter deadline: ContinuousClock.Instant? = nil) async throws -> Ticket? {
        guard var ticket = reserve(url: url, notAfter: deadline) else { return nil }
        while ticket.delay > .zero {
            try await Task.sleep(for: ticket.delay)
            let stale = lock.withLock { _ in hosts[ticket.host].map { $0.epoch != ticket.epoch } ?? false }
            guard stale else { break }
            guard let again = reserve(url: url, notAfter: deadline) else { return nil }
            ticket = Ticket(
                host: again.host, sentAt: again.sentAt, delayed: true, epoch: again.epoch, delay: again.delay)
        }
        return ticket
    }

    /// Learns from the answer to a request sent with `ticket`.
    public func record(_ ticket: Ticket, status: Int, headers: HTTPHeaders) {
        let now = clock.now
        let hint = RetryPolicy.standard.serverHint(headers)
        lock.withLock { _ in
            guard var host = hosts[ticket.host] else { return }
            defer { hosts[ticket.host] = host }
            host.accepted.removeFirst(host.accepted.prefix { now - $0 > .seconds(1) }.count)
            if status == 429 {
                if let hint { host.next = max(host.next, now + hint) }
                guard host.lastDecrease.map({ ticket.sentAt > $0 }) ?? true else { return }
                let accepted = host.accepted.count
                let learnt = accepted >= 2 ? Int(Double(accepted) * 0.95) : max(1, Int(host.rate / 2))
                let cap = max(1, min(learnt, (host.cap ?? Int.max) - 1))
                host.cap = cap
                host.rate = Double(cap)
                host.lastDecrease = now
                host.epoch += 1
                // The server's window is full: wait one out (a hint above may ask for longer).
                host.next = max(host.next, now + (hint ?? .seconds(1)))
                return
            }
            host.accepted.append(now)
            if headers["X-RateLimit-Remaining"]?.trimmingCharacters(in: .whitespaces) == "0", let hint {
                host.next = max(host.next, now + hint)
            }
            if let cap = host.cap {
                if let last = host.lastDecrease, now - last >= .seconds(30) {
                    host.cap = cap + 1
                    host.rate = Double(cap + 1)
                    host.lastDecrease = now
                }
            } else if ticket.delayed {
                host.rate = min(settings.maximumRate, host.rate + 1)
            }
        }
    }

    /// `scheme://host:port` of a URL (the whole URL up to the path).
    static func hostKey(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        return String(url[..<end]).lowercased()
    }
}
