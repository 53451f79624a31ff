public import ConfluentAPI

/// Produces a uniquely identified record on the origin's canary topic and watches it cross both hops.
///
/// Mirrors keep partition and offset, so the record written at `(p, x)` has arrived on a hop once that
/// hop's mirror partition `p` has a log end beyond `x` (see ``PartitionDerivation``). The jump's end is read
/// from the jump mirror when the jump is observable, and also from the target's view (`targetEnd + lag`),
/// so the probe works without a jump credential.
public struct CanaryProbe: Sendable {
    public var topology: ChainTopology
    public var observer: any ChainObserver
    /// The canary topic and its mirror names (default `_jumpchain.canary` on every cluster).
    public var canary: ChainTopology.ChainTopic
    public var meaning: FetchOffsetMeaning
    public var clock: any VerificationClock

    public init(
        topology: ChainTopology, observer: any ChainObserver,
        canary: ChainTopology.ChainTopic = .init(origin: VerifySettings.defaultCanaryTopic),
        meaning: FetchOffsetMeaning = .lastFetchedRecord, clock: any VerificationClock = ContinuousVerificationClock()
    ) {
        self.topology = topology
        self.observer = observer
        self.canary = canary
        self.meaning = meaning
        self.clock = clock
    }

    /// A fresh id: 16 hex digits.
    public static func makeID() -> String {
        let value = UInt64.random(in: 0...UInt64.max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// A canary produced on the origin (or the failure to produce it), before it is followed across the chain.
    public struct Produced: Sendable {
        public var id: String
        public var write: CanaryWrite?
        /// Why it could not be produced (then `write` is nil).
        public var failure: String?
        /// When the produce call returned (the probe's clock): arrivals are timed from it.
        public var at: Duration?

        /// The origin end it measures, keyed for ``OffsetVerifier/measuredOriginEnds``: produce it before a
        /// verifier's first observation and every round of it may use the figure.
        public func measuredOriginEnd(topic: String) -> [TopicPartition: MeasuredOriginEnd] {
            guard let write else { return [:] }
            return [TopicPartition(topic: topic, partition: write.partition): MeasuredOriginEnd(canary: write)]
        }
    }

    /// Produces one canary record on the origin's canary topic (the first half of ``run(timeout:pollInterval:id:round:)``).
    public func produce(id: String = makeID()) async -> Produced {
        let value = "{\"jumpchain_canary\":\"\(id)\",\"run\":\"\(topology.runName)\"}"
        do {
            let write = try await observer.produceCanary(topic: canary.origin, key: id, value: value)
            return Produced(id: id, write: write, at: clock.now())
        } catch {
            return Produced(
                id: id, failure: "could not produce the canary to `\(canary.origin)` on the origin: \(error)")
        }
    }

    /// One round: produce, wait for both hops until `timeout`, measure, compare offsets.
    public func run(
        timeout: Duration, pollInterval: Duration, id: String = makeID(), round: Int = 1
    ) async
        -> CanaryResult
    {
        await follow(await produce(id: id), timeout: timeout, pollInterval: pollInterval, round: round)
    }

    /// The rest of a round after ``produce(id:)``: wait until the canary has crossed `hop` or `timeout` (from now)
    /// passes, measure, compare offsets. Arrivals and latency are timed from the produce call's return.
    public func follow(
        _ produced: Produced, through hop: ChainHop = .leg2, timeout: Duration, pollInterval: Duration,
        round: Int = 1
    ) async -> CanaryResult {
        var result = CanaryResult(
            id: produced.id, topic: canary.origin, round: round, write: produced.write, jumpArrival: nil,
            targetArrival: nil, latencyMs: nil, offsetsMatch: nil, passed: false, failure: produced.failure,
            diagnoses: [])
        guard produced.write != nil else { return result }
        result.failure = nil
        return await watch(result, through: hop, since: produced.at, timeout: timeout, pollInterval: pollInterval)
    }

    /// Follows a canary recorded by another site (``follow(_:through:timeout:pollInterval:round:)`` through
    /// `leg1` at the origin's site) through `hop`: a multi-site run follows it through leg 2 at the target's site,
    /// where arrival times count from that site's start.
    public func follow(
        recorded: CanaryResult, through hop: ChainHop, timeout: Duration, pollInterval: Duration
    ) async -> CanaryResult {
        var result = recorded
        guard result.write != nil else { return result }
        result.failure = nil
        return await watch(result, through: hop, since: nil, timeout: timeout, pollInterval: pollInterval)
    }

    /// Watches `result`'s produced canary until it has crossed `hop` — `leg1`: it reached the jump (passed,
    /// nothing more to check from there); `leg2`: it reached the target and its offset was checked — or `timeout`
    /// passes. Arrivals are timed from `since` (nil: from now).
    private func watch(
        _ initial: CanaryResult, through hop: ChainHop, since: Duration?, timeout: Duration, pollInterval: Duration
    ) async -> CanaryResult {
        var result = initial
        guard let write = result.write else { return result }
        let start = clock.now()
        while true {
            await look(write, start: since ?? start, into: &result)
            if hop == .leg1, result.jumpArrival != nil {
                result.passed = true
                return result
            }
            if result.targetArrival != nil {
                result.latencyMs = result.targetArrival?.afterMs
                if let readBack = await readBack(write, id: result.id) {
                    result.offsetsMatch = readBack.match
                    result.offsetCheck = "read back"
                    result.passed = readBack.match
                    if !readBack.match { result.failure = readBack.check }
                    return result
                }
                result.offsetsMatch = offsetsMatch(write, result)
                result.offsetCheck = "derived: not read back"
                result.passed = result.offsetsMatch != false
                if !result.passed { result.failure = "the canary's partition is absent on a hop" }
                return result
            }
            let elapsed = clock.now() - start
            var expired = elapsed + pollInterval > timeout || Task.isCancelled
            if !expired {
                do { try await clock.sleep(for: pollInterval) } catch { expired = true }
            }
            if expired {
                let hop = result.jumpArrival == nil ? "the jump" : "the target"
                result.passed = false
                result.failure =
                    "p\(write.partition)@\(write.offset) did not reach \(hop) within \(OffsetVerifier.format(timeout))"
                result.diagnoses = await diagnose()
                return result
            }
        }
    }

    /// Rounds every `interval` (`rounds` nil: until cancelled), one result per round through `onRound`;
    /// with `failFast` it stops after the first failing round. Returns every round's result. `first`: round 1,
    /// already produced and followed (alongside a verifier's rounds, say: see ``produce(id:)``).
    public func watch(
        interval: Duration, rounds: Int? = nil, failFast: Bool, timeout: Duration, pollInterval: Duration,
        first: CanaryResult? = nil, onRound: @Sendable (CanaryResult) -> Void = { _ in }
    ) async -> [CanaryResult] {
        var results: [CanaryResult] = []
        var round = 0
        while rounds.map({ round < $0 }) ?? true, !Task.isCancelled {
            round += 1
            let started = clock.now()
            let result: CanaryResult
            if round == 1, let first {
                result = first
            } else {
                result = await run(timeout: timeout, pollInterval: pollInterval, round: round)
            }
            results.append(result)
            onRound(result)
            if failFast && !result.passed { break }
            if let rounds, round >= rounds { break }
            let wait = interval - (clock.now() - started)
            if wait > .zero {
                do { try await clock.sleep(for: wait) } catch { break }
            }
        }
        return results
    }

    // MARK: Internals

    func look(_ write: CanaryWrite, start: Duration, into result: inout CanaryResult) async {
        let jumpName = canary.jumpMirror
        let targetName = canary.targetMirror
        let target = try? await observer.mirror(role: .target, link: topology.leg2Name, topic: targetName)
        let targetLag = target?.mirrorLags.first { $0.partition == write.partition }
        var jumpEnds: [Int64] = []
        if result.jumpArrival == nil,
            let jump = try? await observer.mirror(role: .jump, link: topology.leg1Name, topic: jumpName),
            let lag = jump.mirrorLags.first(where: { $0.partition == write.partition })
        {
            jumpEnds.append(meaning.mirrorEnd(lastSourceFetchOffset: lag.lastSourceFetchOffset))
        }
        let targetEnd = targetLag.map { meaning.mirrorEnd(lastSourceFetchOffset: $0.lastSourceFetchOffset) }
        if let targetLag, let targetEnd { jumpEnds.append(targetEnd + targetLag.lag) }
        let now = (clock.now() - start).wholeMilliseconds
        if result.jumpArrival == nil, let jumpEnd = jumpEnds.max(), jumpEnd > write.offset {
            result.jumpArrival = .init(hop: .leg1, lastOffset: jumpEnd - 1, afterMs: now)
        }
        if result.jumpArrival != nil, let targetEnd, targetEnd > write.offset {
            result.targetArrival = .init(hop: .leg2, lastOffset: targetEnd - 1, afterMs: now)
        }
    }

    /// Reads the target's partition around the canary's origin offset: the canary must be the record at that
    /// offset. nil when records cannot be read (Kafka REST v3 has no consume).
    func readBack(_ write: CanaryWrite, id: String) async -> (match: Bool, check: String)? {
        let window: Int64 = 3
        let start = max(0, write.offset - window)
        let records: [ObservedRecord]
        do {
            guard
                let read = try await observer.readRecords(
                    role: .target, topic: canary.targetMirror, partition: write.partition, offset: start,
                    count: Int(2 * window + 1))
            else { return nil }
            records = read
        } catch {
            return (false, "could not read p\(write.partition)@\(write.offset) back on the target: \(error)")
        }
        let place = "p\(write.partition)@\(write.offset)"
        if let found = records.first(where: { $0.value?.contains(id) == true }) {
            guard found.offset == write.offset else {
                return (
                    false,
                    "read back: the canary is at p\(write.partition)@\(found.offset) on the target, not at its origin "
                        + "offset \(write.offset): offsets are not preserved across the chain"
                )
            }
            return (true, "read back: the record at \(place) on the target is the canary")
        }
        let atOffset = records.first { $0.offset == write.offset }
        return (
            false,
            atOffset == nil
                ? "read back: \(place) on the target holds no record, not the canary"
                : "read back: the record at \(place) on the target is not the canary"
        )
    }

    func offsetsMatch(_ write: CanaryWrite, _ result: CanaryResult) -> Bool? {
        guard let jump = result.jumpArrival, let target = result.targetArrival else { return false }
        if jump.lastOffset == write.offset && target.lastOffset == write.offset { return true }
        return nil
    }

    /// Why the canary is stuck: the same diagnosis as verification, on the canary topic alone.
    func diagnose() async -> [Diagnosis] {
        var scoped = topology
        scoped.topics = [canary]
        let observation = await OffsetVerifier(topology: scoped, observer: observer).observe()
        return Diagnoser.diagnose(observation)
    }
}
