/// Explains a chain that is healthy but whose lag did not drop under the threshold in time, by comparing
/// each hop's backlog in the first and the last round.
enum SlowHopDiagnoser {
    static func diagnose(
        first: VerificationReport, last: VerificationReport, elapsed: Duration, topology: ChainTopology
    ) -> [Diagnosis] {
        ChainHop.allCases.compactMap { hop in
            guard last.hop(hop)?.healthy == true else { return nil }
            let before = backlog(first, hop)
            let after = backlog(last, hop)
            guard after > 0 else { return nil }
            let seconds = Double(elapsed.wholeMilliseconds) / 1000
            let trend: String
            if after < before, seconds > 0 {
                let rate = Double(before - after) / seconds
                let remaining = Int((Double(after) / rate).rounded(.up))
                trend =
                    "the hop is catching up (about \(Int(rate.rounded())) records/s), but not within the timeout: "
                    + "about \(remaining)s more at this rate; raise verify.timeout or verify again later"
            } else {
                trend =
                    "the lag is not shrinking: the hop copies more slowly than records arrive, or has stalled "
                    + "without reporting an error; check the link's throughput and the jump cluster's limits"
            }
            let destination = topology.cluster(hop.destination)
            let link = topology.linkName(hop)
            let topics = last.topics.filter { topic in topic.partitions.contains { lag($0, hop) ?? 0 > 0 } }
            return Diagnosis(
                hop: hop, link: link, cluster: hop.destination, clusterID: destination.id, cause: .slowHop,
                topics: topics.map(\.topic),
                message: "\(hop) lag \(before) → \(after) records in \(Int(seconds))s (threshold \(last.threshold) "
                    + "per partition end to end)",
                likelyCause: trend, suggestedCommand: "jumpchain verify \(topology.runName)",
                restCall: "GET /kafka/v3/clusters/\(destination.id)/links/\(link)/mirrors")
        }
    }

    /// The hop's lag summed over the partitions failing the threshold.
    static func backlog(_ report: VerificationReport, _ hop: ChainHop) -> Int64 {
        report.topics.flatMap(\.partitions).filter { !$0.passed }.compactMap { lag($0, hop) }.reduce(0, +)
    }

    static func lag(_ partition: PartitionReport, _ hop: ChainHop) -> Int64? {
        hop == .leg1 ? partition.lag1 : partition.lag2
    }
}
