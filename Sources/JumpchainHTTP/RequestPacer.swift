import Foundation
import Synchronization

/// Paces the requests of one or more ``HTTPClient``s per host (`scheme://host:port`, i.e. per cluster REST
/// endpoint or control plane) to a limit it learns from the server's 429 answers, so that every step sharing
/// the pacer shares one budget per cluster and a burst of retries cannot make a rate limit worse: every
/// attempt, retries included, takes a slot.
///
/// The limit is not told. Until the first 429 the pacer only spaces requests `1/rate` apart, and the rate
/// grows by one request per second for each answer to a request the pacer held back (slow start: about
/// doubling every second while the pacer is what limits). The first 429 sets a *cap*: at most that many
/// requests may be let go in any trailing second (counted when each request's task, woken for its slot, is let
/// go, so tasks that woke late cannot go out as a burst; libcurl may still queue one behind a busy connection),
/// and the spacing follows it. The cap is one under what the server accepted in the second before that 429 (half
/// the rate when that was little); a later 429 lowers it to what the server accepted, by one at least and by half
/// at most. 429s of requests sent before the last hold teach nothing; the host is held for ``Settings/hold``, or
/// longer if the answer's hint says so, twice as long for a 429 that shows the hold ended before the server's
/// window did (to a request sent within a second of the last hold: the cap stays).
///
/// One more than what the server accepted in a whole second, none of it held, is the *ceiling* (unless the server
/// accepted less than half the cap: a 429 to light traffic, a hiccup or another client sharing the limit, only
/// halves the rate): the cap climbs back to one under it (half the distance every ``Settings/growthInterval``
/// while the cap holds requests back: a transient 429 costs seconds, not the run), and tries one more only after
/// holding ``Settings/probeInterval``, twice as long (up to 8 times) after each such try that met a 429 (the limit
/// may rise; trying costs a 429). A sliding-second cap at the
/// server's limit also keeps every fixed window of the server's under it. `Retry-After` / `X-RateLimit-Reset`
/// on a 429, and `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` on any answer, hold the host until then.
/// ``observe(_:)`` tells every change (`--verbose`).
public final class RequestPacer: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: `hosts` is only read or written under `lock`.

    /// Tuning of the pacer; the defaults suit Confluent's per-cluster limits (tens of requests per second).
    public struct Settings: Sendable, Equatable {
        /// Requests per second before anything was learnt.
        public var initialRate: Double
        public var maximumRate: Double
        /// How often a cap below its ceiling grows (half the distance) while it holds requests back.
        public var growthInterval: Duration
        /// How long without a 429 before the cap tries one more than its ceiling allows (doubled after each try
        /// that met a 429).
        public var probeInterval: Duration
        /// How long a 429 without a hint first holds the host (the server's window is full; it ends within a second,
        /// and the cap over the trailing second of actual sends keeps the rest of it clear).
        public var hold: Duration

        public init(
            initialRate: Double = 50, maximumRate: Double = 10_000, growthInterval: Duration = .seconds(2),
            probeInterval: Duration = .seconds(30), hold: Duration = .milliseconds(250)
        ) {
            self.hold = hold
            self.initialRate = initialRate
            self.maximumRate = maximumRate
            self.growthInterval = growthInterval
            self.probeInterval = probeInterval
        }
    }

    /// What a caller holds between ``reserve(url:)`` and ``record(_:status:headers:)``.
    public struct Ticket: Sendable {
        let host: String
        /// The slot, then (once ``RequestPacer/send(_:)`` let it go) when the request was sent.
        let sentAt: ContinuousClock.Instant
        /// The pacer held it back (its spacing, cap or a hold).
        let delayed: Bool
        /// It was sent with the cap's worth, less one, already sent in the trailing second: the pacer, not the
        /// caller's demand, set the pace (only then does an answer say something about the limit).
        var full = false
        /// The host's hold count when the slot was given: a slot given before a 429 is taken again.
        let epoch: Int
        /// How long to wait before sending.
        public let delay: Duration

        func waiting(_ delay: Duration, slot: ContinuousClock.Instant, epoch: Int? = nil) -> Ticket {
            Ticket(host: host, sentAt: slot, delayed: true, epoch: epoch ?? self.epoch, delay: delay)
        }
    }

    struct Host {
        var rate: Double
        var next: ContinuousClock.Instant
        /// Requests allowed in any trailing second, once a 429 taught it.
        var cap: Int?
        /// What not to try before a quiet probe interval (always above the cap): one more than the server
        /// accepted in a whole second none of which was held, or the cap that met a 429.
        var ceiling: Int?
        /// Whether the last change tried one more than the ceiling allowed.
        var probing = false
        /// When the host was last held after a 429 (429s of requests sent before teach nothing).
        var lastHold: ContinuousClock.Instant?
        /// When the cap last changed (a decrease, a growth step or a try).
        var lastChange: ContinuousClock.Instant?
        /// How long the cap must hold before trying one more than the ceiling.
        var probeWait: Duration
        /// Requests wait until then (a hold after a 429, or a server's hint).
        var heldUntil: ContinuousClock.Instant?
        /// How long a 429 holds the host: ``Settings/hold``, doubled (up to a second) for each 429 to a request
        /// sent within a second of the last hold.
        var holdLength: Duration
        var epoch = 0
        /// Slots given, not yet past by a second (ascending).
        var sent: [ContinuousClock.Instant] = []
        /// When the last second's requests were let go (ascending).
        var sentAt: [ContinuousClock.Instant] = []
        /// What changed, for the observer (told outside the lock).
        var news: [String] = []
        /// When each recent answer that was not a 429 arrived (the last second's).
        var accepted: [ContinuousClock.Instant] = []

        /// The next slot at or after `now`: the spacing, then the cap over the trailing second. Drops slots
        /// that no longer count.
        mutating func slot(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
            var slot = max(now, next)
            sent.removeFirst(sent.prefix { slot - $0 >= .seconds(1) }.count)
            if let cap, sent.count >= cap {
                slot = max(slot, sent[sent.count - cap] + .seconds(1))
                sent.removeFirst(sent.prefix { slot - $0 >= .seconds(1) }.count)
            }
            return slot
        }

        /// Moves a reservation (a stale one is dropped: `to` nil).
        mutating func move(slot: ContinuousClock.Instant, to new: ContinuousClock.Instant?) {
            if let index = sent.firstIndex(of: slot) { sent.remove(at: index) }
            guard let new else { return }
            sent.insert(new, at: sent.firstIndex { $0 > new } ?? sent.endIndex)
        }

        /// Holds every request until `until` (slots given before are taken again).
        mutating func hold(until: ContinuousClock.Instant) {
            guard heldUntil.map({ until > $0 }) ?? true else { return }
            epoch += 1
            next = max(next, until)
            heldUntil = until
        }
    }

    public let settings: Settings
    private let lock = Mutex(())
    private let observer = Mutex<(@Sendable (String) -> Void)?>(nil)
    private var hosts: [String: Host] = [:]
    private let now: @Sendable () -> ContinuousClock.Instant

    public convenience init(settings: Settings = Settings()) {
        self.init(settings: settings, now: { ContinuousClock.now })
    }

    /// A pacer reading time from `now` (tests drive it with a manual clock; ``admit(url:notAfter:)`` still sleeps
    /// on the continuous clock).
    public init(settings: Settings = Settings(), now: @escaping @Sendable () -> ContinuousClock.Instant) {
        precondition(settings.initialRate > 0 && settings.maximumRate >= settings.initialRate, "pacer rates")
        self.settings = settings
        self.now = now
    }

    /// Tells `handler` every change of a host's cap or hold after a 429, as a line (`--verbose` prints them);
    /// nil stops.
    public func observe(_ handler: (@Sendable (String) -> Void)?) {
        observer.withLock { $0 = handler }
    }

    /// The learnt cap for the host of `url`, in requests per trailing second (nil until a 429 taught one).
    public func cap(url: String) -> Int? {
        lock.withLock { _ in hosts[Self.hostKey(url)]?.cap }
    }

    /// How long a request to the host of `url` asked for now would wait for its slot: zero unless the pacer is
    /// what holds the host's requests back (requests queued behind its spacing, its cap, or a hold after a 429).
    public func backlog(url: String) -> Duration {
        lock.withLock { _ in
            let now = now()
            guard var host = hosts[Self.hostKey(url)] else { return .zero }
            return host.slot(now: now) - now
        }
    }

    /// A host nothing was sent to yet.
    private func fresh(_ now: ContinuousClock.Instant) -> Host {
        Host(rate: settings.initialRate, next: now, probeWait: settings.probeInterval, holdLength: settings.hold)
    }

    /// Takes the next slot for the host of `url`.
    public func reserve(url: String) -> Ticket {
        reserve(url: url, notAfter: nil)!
    }

    /// Takes the next slot for the host of `url` unless it is at or past `deadline` (then nothing is taken).
    func reserve(url: String, notAfter deadline: ContinuousClock.Instant?) -> Ticket? {
        let key = Self.hostKey(url)
        return lock.withLock { _ in
            let now = now()
            var host = hosts[key] ?? fresh(now)
            let slot = host.slot(now: now)
            if let deadline, slot > now, slot >= deadline { return nil }
            host.sent.append(slot)
            host.next = slot + .seconds(1 / host.rate)
            hosts[key] = host
            return Ticket(host: key, sentAt: slot, delayed: slot > now, epoch: host.epoch, delay: slot - now)
        }
    }

    /// Takes a slot for the host of `url` and waits for it; a slot that a 429 made stale while waiting
    /// (it was given under the old limit) is taken again, and a request whose task woke late waits again while
    /// the cap's worth of requests were already let go in the trailing second (late wake-ups must not go out as
    /// a burst). Throws `CancellationError` when the task is cancelled. With `notAfter` (a ``RequestDeadline``),
    /// returns nil instead of waiting for a slot at or past it: the pacer never holds a request beyond the
    /// command's deadline (send it with ``unpaced(url:)``, which still counts it).
    public func admit(url: String, notAfter deadline: ContinuousClock.Instant? = nil) async throws -> Ticket? {
        guard var ticket = reserve(url: url, notAfter: deadline) else { return nil }
        while true {
            if ticket.delay > .zero { try await Task.sleep(for: ticket.delay) }
            switch send(ticket, url: url, notAfter: deadline) {
            case .go(let sent): return sent
            case .wait(let again): ticket = again
            case .deadline: return nil
            }
        }
    }

    /// What to do with a ticket whose slot came: send it now, or wait (again) with this one.
    enum Send {
        case go(Ticket)
        case wait(Ticket)
        /// The next slot is at or past the deadline: nothing is taken.
        case deadline
    }

    /// Called when a ticket's slot came: the request is let go now unless a 429 made the slot stale (it was
    /// given under the old limit: a new slot is taken), the host is held, or the cap's worth of requests was
    /// already let go in the trailing second (this one's task woke late). Records the send.
    func send(_ ticket: Ticket, url: String, notAfter deadline: ContinuousClock.Instant? = nil) -> Send {
        let stale = lock.withLock { _ -> Send? in
            let now = now()
            guard var host = hosts[ticket.host] else { return .go(ticket) }
            defer { hosts[ticket.host] = host }
            if ticket.delay > .zero || ticket.delayed, host.epoch != ticket.epoch {
                host.move(slot: ticket.sentAt, to: nil)
                return nil
            }
            host.sentAt.removeFirst(host.sentAt.prefix { now - $0 >= .seconds(1) }.count)
            var until = host.heldUntil.map { max(now, $0) } ?? now
            if let cap = host.cap, host.sentAt.count >= cap {
                until = max(until, host.sentAt[host.sentAt.count - cap] + .seconds(1))
            }
            if until > now {
                if let deadline, until >= deadline {
                    host.move(slot: ticket.sentAt, to: nil)
                    return .deadline
                }
                host.move(slot: ticket.sentAt, to: until)
                return .wait(ticket.waiting(until - now, slot: until))
            }
            var sent = Ticket(host: ticket.host, sentAt: now, delayed: ticket.delayed, epoch: host.epoch, delay: .zero)
            // Before a cap, the spacing holding it back is what says the pacer set the pace (slow start).
            sent.full = host.cap.map { host.sentAt.count + 1 >= $0 } ?? ticket.delayed
            host.sentAt.append(now)
            return .go(sent)
        }
        if let stale { return stale }
        guard let again = reserve(url: url, notAfter: deadline) else { return .deadline }
        return .wait(again.waiting(again.delay, slot: again.sentAt, epoch: again.epoch))
    }

    /// A ticket for a request sent at once, unpaced (a ``RequestDeadline`` left no time to wait for a slot): it
    /// still counts against the cap and its answer is learnt from.
    public func unpaced(url: String) -> Ticket {
        let key = Self.hostKey(url)
        return lock.withLock { _ in
            let now = now()
            var host = hosts[key] ?? fresh(now)
            host.sentAt.removeFirst(host.sentAt.prefix { now - $0 >= .seconds(1) }.count)
            host.sentAt.append(now)
            hosts[key] = host
            return Ticket(host: key, sentAt: now, delayed: false, epoch: host.epoch, delay: .zero)
        }
    }

    /// Learns from the answer to a request sent with `ticket`.
    public func record(_ ticket: Ticket, status: Int, headers: HTTPHeaders) {
        let hint = RetryPolicy.standard.serverHint(headers)
        let news = lock.withLock { _ -> [String] in
            guard var host = hosts[ticket.host] else { return [] }
            learn(&host, ticket: ticket, status: status, headers: headers, hint: hint, now: now())
            let news = host.news
            host.news = []
            hosts[ticket.host] = host
            return news
        }
        guard !news.isEmpty, let handler = observer.withLock({ $0 }) else { return }
        for line in news { handler("\(ticket.host) \(line)") }
    }

    private func learn(
        _ host: inout Host, ticket: Ticket, status: Int, headers: HTTPHeaders, hint: Duration?,
        now: ContinuousClock.Instant
    ) {
        host.accepted.removeFirst(host.accepted.prefix { now - $0 >= .seconds(1) }.count)
        guard status == 429 else {
            host.accepted.append(now)
            if headers["X-RateLimit-Remaining"]?.trimmingCharacters(in: .whitespaces) == "0", let hint {
                host.hold(until: now + hint)
            }
            if let cap = host.cap {
                if ticket.full { grow(&host, cap: cap, now: now) }
            } else if ticket.delayed {
                host.rate = min(settings.maximumRate, host.rate + 1)
            }
            return
        }
        guard host.lastHold.map({ ticket.sentAt > $0 }) ?? true else {
            // Sent before the last hold: that hold answered it already (a longer hint still holds).
            if let hint { host.hold(until: now + hint) }
            return
        }
        let limit = max(settings.hold, .seconds(1))
        if let last = host.lastHold, host.cap != nil, ticket.sentAt - last < .seconds(1), host.holdLength < limit {
            // Sent soon after a hold that ended before the server's window did: hold longer, learn nothing.
            host.holdLength = min(limit, host.holdLength * 2)
            hold(&host, now: now, hint: hint)
            host.news.append("429 again: held \(host.holdLength)")
            return
        }
        decrease(&host, ticket: ticket, now: now)
        host.holdLength = settings.hold
        hold(&host, now: now, hint: hint)
    }

    /// A 429 to a request sent after the last hold: the server's window is full.
    private func decrease(_ host: inout Host, ticket: Ticket, now: ContinuousClock.Instant) {
        let accepted = host.accepted.count
        // What the server accepted in the last second is its limit when that second was not partly held and the
        // server accepted a good share of the pace (a 429 to light traffic: a hiccup, or another client sharing
        // the limit, says little about it).
        let wholeSecond = host.heldUntil.map { now - $0 >= .seconds(1) } ?? true
        if let previous = host.cap, let ceiling = host.ceiling {
            if host.probing, let last = host.lastChange, now - last < host.probeWait {
                host.probeWait = min(host.probeWait * 2, settings.probeInterval * 8)  // try again later
            }
            // Lower to what the server accepted in the last second, by one at least and by half at most.
            let cap = max(1, min(previous - 1, max(accepted, previous / 2)))
            let told = wholeSecond && accepted >= previous / 2
            host.cap = cap
            host.ceiling = max(cap + 1, min(previous, told ? accepted + 1 : ceiling))
        } else if ticket.full || accepted >= Int(host.rate) / 2 {
            // Keep one under what the server accepted (a request arriving late would meet the next 429).
            let cap = max(1, accepted - 1)
            host.cap = cap
            host.ceiling = cap + 1
        } else {
            // A 429 the pacer's own pace did not cause: half the rate, climbing back within seconds.
            let cap = max(1, max(accepted - 1, Int(host.rate / 2)))
            host.cap = cap
            host.ceiling = max(cap + 1, Int(host.rate))
        }
        host.sentAt.removeFirst(host.sentAt.prefix { now - $0 >= .seconds(1) }.count)
        host.news.append(
            "429: cap \(host.cap!)/s (\(accepted) accepted and \(host.sentAt.count) sent in the last second; "
                + "ceiling \(host.ceiling!))")
        host.probing = false
        host.rate = Double(host.cap!)
        host.lastChange = now
    }

    /// The server's window is full: hold the host for ``Host/holdLength``, longer if the hint says so. Slots
    /// given before are taken again, and 429s to requests sent before now do not count.
    private func hold(_ host: inout Host, now: ContinuousClock.Instant, hint: Duration?) {
        host.lastHold = now
        host.hold(until: now + max(hint ?? .zero, host.holdLength))
    }

    /// An accepted answer to a request the cap held back: the cap climbs back towards one under its ceiling,
    /// by half the distance every ``Settings/growthInterval``, and tries one more only when it held for
    /// ``Host/probeWait`` since its last change.
    private func grow(_ host: inout Host, cap: Int, now: ContinuousClock.Instant) {
        guard let ceiling = host.ceiling, let last = host.lastChange, now - last >= settings.growthInterval,
            Double(cap) < settings.maximumRate
        else { return }
        if cap + 1 < ceiling {
            host.cap = cap + max(1, (ceiling - 1 - cap) / 2)
            host.probing = false
        } else {
            guard now - last >= host.probeWait else { return }
            if host.probing { host.probeWait = settings.probeInterval }  // the last try held
            host.cap = cap + 1
            host.ceiling = cap + 2
            host.probing = true
        }
        host.rate = Double(host.cap!)
        host.lastChange = now
        host.news.append(
            "cap \(host.cap!)/s" + (host.probing ? " (one more, after \(host.probeWait) at \(cap))" : ""))
    }

    /// `scheme://host:port` of a URL (the whole URL up to the path).
    static func hostKey(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        return String(url[..<end]).lowercased()
    }
}
