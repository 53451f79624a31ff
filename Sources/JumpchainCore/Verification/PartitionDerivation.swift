public import ConfluentAPI

/// Derives a partition's three log-end offsets from the two mirrors' `mirror_lags`.
///
/// Facts used (Kafka REST v3, and the simulator): per mirror partition, `lag` = source log-end offset −
/// mirror log-end offset, and `last_source_fetch_offset` locates the mirror's own log end (see
/// ``FetchOffsetMeaning``; `-1` = nothing fetched yet, log end 0). Mirrors preserve offsets, so:
///
/// - leg 1 (mirror on the jump of the origin topic): `jumpEnd₁ = end(lsfo₁)`, `originEnd = jumpEnd₁ + lag₁`;
/// - leg 2 (mirror on the target of the jump mirror): `targetEnd = end(lsfo₂)`, `jumpEnd₂ = targetEnd + lag₂`;
/// - end-to-end lag = `originEnd − targetEnd`, which is `lag₁ + lag₂` when both are read at the same moment.
///
/// The origin's end can also be measured on the origin (``MeasuredOriginEnd``: the canary's produce offset + 1, or
/// a consumer group's `log_end_offset`), always before the mirrors are read. Every candidate — the measurement,
/// `jumpEnd₁ + lag₁`, and the jump's end (the origin is at least as far) — is a lower bound of the origin's end
/// when the mirrors were read, so the largest is reported; a tie goes to the measurement. A measurement behind
/// the others (records arrived after it was read: a busy topic's group lags) is kept in `origin_end_measured`
/// and the figure used is marked derived, with its source in `origin_end_source`.
///
/// The two reads are not simultaneous, so `jumpEnd₁` and `jumpEnd₂` can differ. Logs only grow and each
/// cluster is at least as far as the one it copies to, so the later (larger) value is taken as the jump's end
/// and the origin's end is raised to it if needed; the reported lags are then `lag1 = originEnd − jumpEnd`,
/// `lag2 = jumpEnd − targetEnd`, and always add up to the end-to-end lag.
///
/// ``OffsetVerifier/observe()`` reads the jump mirror before the target mirror, so `targetEnd` is never older
/// than `originEnd`: the end-to-end lag (and `lag1`) can only understate the lag the chain had when the jump
/// was read, never invent one. When the two reads saw different jump ends, records arrived between them and
/// those figures are lower bounds (``PartitionReport/lagIsLowerBound``); otherwise they are measurements.
public enum PartitionDerivation {
    /// One partition from the jump mirror's and the target mirror's lag entries (nil = absent).
    ///
    /// `jumpObserved: false` means the jump could not be read at all (no credential): the partition then
    /// passes on leg 2's lag alone when `acceptUnobservedJump` is set, and fails otherwise. `targetNotRead`: the
    /// target is not read from this site (`--site`): the partition is judged on leg 1's lag alone.
    public static func derive(
        partition: Int, jump: MirrorLag?, target: MirrorLag?, threshold: Int64,
        meaning: FetchOffsetMeaning = .lastFetchedRecord, jumpObserved: Bool = true,
        acceptUnobservedJump: Bool = false, measuredOriginEnd: Int64? = nil,
        measuredBy: OriginEndSource = .consumerGroup, targetNotRead: Bool = false
    ) -> PartitionReport {
        let jumpEnd1 = jump.map { meaning.mirrorEnd(lastSourceFetchOffset: $0.lastSourceFetchOffset) }
        let originEnd1 = jump.map { meaning.mirrorEnd(lastSourceFetchOffset: $0.lastSourceFetchOffset) + $0.lag }
        let targetEnd = target.map { meaning.mirrorEnd(lastSourceFetchOffset: $0.lastSourceFetchOffset) }
        let jumpEnd2 = target.map { meaning.mirrorEnd(lastSourceFetchOffset: $0.lastSourceFetchOffset) + $0.lag }

        let jumpEnd = [jumpEnd1, jumpEnd2].compactMap { $0 }.max()
        // Every candidate is a lower bound of the origin's end when the mirrors were read: the largest is used, and
        // a measurement (read on the origin before the mirrors) wins a tie. The jump's end only raises a figure
        // there is: with neither a measurement nor leg 1's view (key-free), the origin's end is not guessed.
        var candidates: [(Int64, OriginEndSource)] = [
            measuredOriginEnd.map { ($0, measuredBy) }, originEnd1.map { ($0, .jumpMirrorLag) },
        ].compactMap { $0 }
        if !candidates.isEmpty, let jumpEnd { candidates.append((jumpEnd, .jumpEnd)) }
        let chosen = candidates.reduce(nil as (Int64, OriginEndSource)?) { best, next in
            guard let best else { return next }
            return next.0 > best.0 ? next : best
        }
        let originEnd = chosen?.0
        let measured = chosen?.1.isMeasured ?? false
        let lag1 = originEnd.flatMap { origin in jumpEnd.map { origin - $0 } }
        let lag2 = targetEnd.flatMap { target in jumpEnd.map { $0 - target } }
        let endToEnd = originEnd.flatMap { origin in targetEnd.map { origin - $0 } }

        var notes: [String] = []
        if jump == nil { notes.append(jumpObserved ? "missing on the jump" : "jump not observed") }
        if target == nil { notes.append(targetNotRead ? "target not read here" : "missing on the target") }
        if let jump, jump.lastSourceFetchOffset < 0, jump.lag > 0 { notes.append("leg 1 has not fetched yet") }
        if let target, target.lastSourceFetchOffset < 0, target.lag > 0 { notes.append("leg 2 has not fetched yet") }
        var passed = endToEnd.map { $0 <= threshold } ?? false
        if !jumpObserved, acceptUnobservedJump, endToEnd == nil, let lag2 {
            passed = lag2 <= threshold
            if !passed { notes.insert("leg 2 lag \(lag2) > \(threshold)", at: 0) }
        }
        if targetNotRead, endToEnd == nil, let lag1 {
            passed = lag1 <= threshold
            if !passed { notes.insert("leg 1 lag \(lag1) > \(threshold)", at: 0) }
        }
        if let endToEnd, !passed { notes.insert("lag \(endToEnd) > \(threshold)", at: 0) }
        let moved = jumpEnd1.flatMap { first in jumpEnd2.map { first != $0 } } ?? false
        var report = PartitionReport(
            partition: partition, originEnd: originEnd, jumpEnd: jumpEnd, targetEnd: targetEnd, lag1: lag1,
            lag2: lag2, endToEndLag: endToEnd, passed: passed,
            note: notes.isEmpty ? nil : notes.joined(separator: "; "),
            lagIsLowerBound: moved)
        report.originEndSource = chosen?.1
        report.originEndMeasured = measuredOriginEnd
        if originEnd != nil, !measured { report.derived += ["origin_end", "lag_origin_to_jump", "lag_end_to_end"] }
        if let jumpEnd2, jumpEnd1.map({ jumpEnd2 > $0 }) ?? true { report.derived.append("jump_end") }
        return report
    }
}
