public import ConfluentAPI

/// Proves the chain works partition by partition from the two mirrors' `mirror_lags`, and explains why when
/// it does not. See ``PartitionDerivation`` for how offsets and lags are derived.
///
/// Passing means: every link half found and healthy (ACTIVE, no `link_error`, no failing task), every mirror
/// ACTIVE with the same partition count on both hops, and every partition's end-to-end lag ≤ the threshold.
public struct OffsetVerifier: Sendable {
    public var topology: ChainTopology
    public var observer: any ChainObserver
    public var meaning: FetchOffsetMeaning
    /// When the jump cannot be read (no credential), judge partitions by leg 2's lag alone instead of failing.
    public var acceptUnobservedJump: Bool
    /// The private clusters a `--site` does not reach (never contacted): what they would show is not read here,
    /// never a failure; a partition is judged on the leg that was read (leg 1's lag when the target is not).
    public var notReadHere: Set<PlaybookCluster.Role> = []
    /// Reads in flight at once.
    public var concurrency: Int
    /// Origin ends measured before this verifier's first observation (a canary produced just before it): valid
    /// lower bounds for every later round, merged with what ``ChainObserver/originEndOffsets()`` reads each round.
    public var measuredOriginEnds: [TopicPartition: MeasuredOriginEnd] = [:]

    public init(
        topology: ChainTopology, observer: any ChainObserver, meaning: FetchOffsetMeaning = .lastFetchedRecord,
        acceptUnobservedJump: Bool = false, concurrency: Int = 8
    ) {
        self.topology = topology
        self.observer = observer
        self.meaning = meaning
        self.acceptUnobservedJump = acceptUnobservedJump
        self.concurrency = max(1, concurrency)
    }

    /// One observation, judged.
    public func verifyOnce(threshold: Int64) async -> VerificationReport {
        report(await observe(), threshold: threshold)
    }

    /// Observes until the chain passes or `timeout` would be exceeded by another wait of `pollInterval`.
    /// A failing final report also carries a ``Diagnosis/Cause/slowHop`` diagnosis for each hop whose lag
    /// kept it from passing, saying whether the lag shrank.
    public func verify(
        until timeout: Duration, threshold: Int64, pollInterval: Duration,
        clock: any VerificationClock = ContinuousVerificationClock(),
        onRound: (@Sendable (VerificationReport) -> Void)? = nil
    ) async -> VerificationReport {
        let start = clock.now()
        var first: VerificationReport?
        var round = 0
        while true {
            round += 1
            var current = report(await observe(), threshold: threshold)
            current.rounds = round
            current.elapsedMs = (clock.now() - start).wholeMilliseconds
            first = first ?? current
            onRound?(current)
            if current.passed { return current }
            let elapsed = clock.now() - start
            var expired = elapsed + pollInterval > timeout || Task.isCancelled
            if !expired {
                do { try await clock.sleep(for: pollInterval) } catch { expired = true }
            }
            if expired {
                current.failures.append("the chain did not pass within \(Self.format(timeout))")
                current.diagnoses += SlowHopDiagnoser.diagnose(
                    first: first!, last: current, elapsed: elapsed, topology: topology)
                return current
            }
        }
    }

    // MARK: Observing

    /// Reads both hops' link halves, then every topic's two mirrors (a listing per hop, or bounded concurrency).
    ///
    /// Offsets read on different clusters at different moments are not simultaneous while producers run, so
    /// the order matters: each topic's jump mirror (leg 1, which also carries the origin's end) is read
    /// *before* its target mirror (leg 2). Logs only grow, so the target's end can only be larger than it was
    /// when the origin's end was taken: every derived lag is at most the lag the chain really had at the
    /// first read. A reported lag is a real one; see ``PartitionDerivation`` for when it is only a bound.
    public func observe() async -> ChainObservation {
        // Measured origin ends first: read before the jump mirrors, they can only understate a lag.
        let originEnds = ((try? await observer.originEndOffsets()) ?? [:]).merging(measuredOriginEnds) {
            $0.merged(with: $1)
        }
        async let halves1 = observeHalves(hop: .leg1)
        async let halves2 = observeHalves(hop: .leg2)
        // One list call per hop when the observer can list. The jump's listing is taken before the target's, so
        // every topic's jump mirror is still read before its target mirror; without a jump listing, the target's
        // is not used either (it would come before the single jump reads), and each topic is read pairwise.
        let upstreamListing = await listMirrors(hop: .leg1)
        let downstreamListing = upstreamListing == nil ? nil : await listMirrors(hop: .leg2)
        let pairs = await Self.boundedMap(topology.topics, width: concurrency) { [self] topic in
            let upstream = await observeMirror(topic, hop: .leg1, listing: upstreamListing)
            let downstream = await observeMirror(topic, hop: .leg2, listing: downstreamListing)
            return [upstream, downstream]
        }
        let leg1 = ChainObservation.HopObservation(
            hop: .leg1, link: topology.linkName(.leg1), halves: await halves1, mirrors: pairs.map { $0[0] })
        let leg2 = ChainObservation.HopObservation(
            hop: .leg2, link: topology.linkName(.leg2), halves: await halves2, mirrors: pairs.map { $0[1] })
        var observation = ChainObservation(topology: topology, leg1: leg1, leg2: leg2)
        observation.originEnds = originEnds
        return observation
    }

    func observeHalves(hop: ChainHop) async -> [ChainObservation.HalfObservation] {
        let link = topology.linkName(hop)
        var halves: [ChainObservation.HalfObservation] = []
        for role in topology.linkHalves(hop) {
            let observed: Observed<Link>
            do {
                observed = Self.observed(try await observer.linkHalf(role: role, link: link))
            } catch {
                observed = Self.observed(failure: error)
            }
            halves.append(.init(role: role, clusterID: topology.cluster(role).id, link: observed))
        }
        return halves
    }

    /// One hop's mirrors in one list call, when the observer can list (nil: read mirror by mirror).
    func listMirrors(hop: ChainHop) async -> [String: Mirror]? {
        try? await observer.mirrorListing(role: hop.destination, link: topology.linkName(hop))
    }

    /// One topic's mirror on `hop`: from the hop's listing when there is one, else one read of the mirror.
    func observeMirror(
        _ topic: ChainTopology.ChainTopic, hop: ChainHop, listing: [String: Mirror]? = nil
    ) async -> ChainObservation.MirrorObservation {
        let link = topology.linkName(hop)
        let name = topology.mirrorName(topic, on: hop)
        let mirror: Observed<Mirror>
        do {
            if let listing {
                mirror = Self.observed(listing[name])
            } else {
                mirror = Self.observed(try await observer.mirror(role: hop.destination, link: link, topic: name))
            }
        } catch {
            mirror = Self.observed(failure: error)
        }
        var entry = ChainObservation.MirrorObservation(topic: topic, mirrorName: name, mirror: mirror)
        if mirror.value?.mirrorStatus == "SOURCE_UNAVAILABLE" {
            entry.sourceExists = try? await observer.topicExists(
                role: hop.source, topic: topology.sourceName(topic, on: hop))
        }
        return entry
    }

    static func observed<Value: Sendable & Equatable>(_ value: Value?) -> Observed<Value> {
        value.map { .found($0) } ?? .missing
    }

    /// A failed read: no credential, a 404 reported as an error, or an API failure.
    static func observed<Value: Sendable & Equatable>(failure: any Error) -> Observed<Value> {
        if let error = failure as? ChainObservationError, error.code == .unobservable {
            return .unobservable(error.message)
        }
        if let error = failure as? ConfluentAPIError {
            if error.code == .notFound { return .missing }
            return .failed(code: error.code.description, message: error.message)
        }
        return .failed(code: "error", message: "\(failure)")
    }

    static func boundedMap<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], width: Int, _ transform: @escaping @Sendable (Input) async -> Output
    ) async -> [Output] {
        await withTaskGroup(of: (Int, Output).self) { group in
            var results: [Output?] = Array(repeating: nil, count: inputs.count)
            var next = 0
            while next < inputs.count && next < width {
                let index = next
                group.addTask { (index, await transform(inputs[index])) }
                next += 1
            }
            while let (index, output) = await group.next() {
                results[index] = output
                if next < inputs.count {
                    let index = next
                    group.addTask { (index, await transform(inputs[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.wholeMilliseconds
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}
