/// The TTY view of a report: hop health, partitions worst first, totals per topic, diagnoses, verdict.
/// Every line fits `width` columns (default 100); `color` adds ANSI colours to verdict words.
public struct VerificationTableRenderer: Sendable {
    public var color: Bool
    public var width: Int
    /// Partition rows shown at most; the rest (the best ones) are summarised in one line.
    public var maxPartitionRows: Int
    /// A passing report that judged nothing (`status --site` where no mirror or lag was read): NOT JUDGED, never
    /// PASS.
    public var notJudged = false

    public init(color: Bool = false, width: Int = 100, maxPartitionRows: Int = 50) {
        self.color = color
        self.width = max(60, width)
        self.maxPartitionRows = max(1, maxPartitionRows)
    }

    static let partitionColumns: [(String, Int)] = [
        ("TOPIC", 24), ("PART", 5), ("ORIGIN END", 10), ("JUMP END", 10), ("TARGET END", 10), ("O→J LAG", 8),
        ("J→T LAG", 8), ("E2E LAG", 8), ("STATUS", 9),
    ]
    static let totalColumns: [(String, Int)] = [
        ("TOPIC", 24), ("PARTS", 6), ("FAILING", 7), ("O→J LAG", 10), ("J→T LAG", 10), ("E2E LAG", 10),
        ("MAX E2E", 10), ("STATUS", 9),
    ]

    public func render(_ report: VerificationReport) -> String {
        var lines: [String] = []
        let verdict =
            report.passed ? (notJudged ? paint("NOT JUDGED", .yellow) : paint("PASS", .green)) : paint("FAIL", .red)
        lines += wrap(
            "jumpchain verify \(report.runName): \(verdict) (threshold \(report.threshold) per partition, "
                + "\(report.rounds) round\(report.rounds == 1 ? "" : "s"), \(report.elapsedMs / 1000)s)")
        lines.append("")
        lines.append("Hops")
        for hop in report.hops {
            lines += wrap(
                "  \(hop.hop)  link \(hop.link): " + (hop.healthy ? paint("ok", .green) : paint("FAIL", .red)))
            let halves = hop.halves.map { half in
                let state = [half.linkState, half.linkError.flatMap { $0 == "NO_ERROR" ? nil : $0 }]
                    .compactMap { $0 }.joined(separator: " ")
                return "\(half.cluster) \(half.clusterID): " + (half.presence == "found" ? state : half.presence)
            }
            lines += wrap(
                "    " + halves.joined(separator: "; ") + "; mirrors ACTIVE \(hop.mirrorsActive)/\(hop.mirrorsTotal)",
                indent: "      ")
        }
        lines.append("")
        lines += partitionTable(report)
        lines.append("")
        lines += totalsTable(report)
        if !report.diagnoses.isEmpty {
            lines.append("")
            lines.append("Diagnoses")
            for (index, diagnosis) in report.diagnoses.enumerated() { lines += render(diagnosis, number: index + 1) }
        }
        if !report.failures.isEmpty {
            lines.append("")
            lines.append("Failures")
            for failure in report.failures { lines += wrap("  - \(failure)", indent: "    ") }
        }
        lines.append("")
        if report.passed, notJudged {
            lines.append(paint("NOT JUDGED", .yellow) + ": no mirror or lag was read here")
        } else if report.passed {
            lines.append(paint("PASS", .green) + ": every partition within \(report.threshold) records end to end")
        } else {
            let list =
                report.failingPartitions.isEmpty ? "none by lag" : report.failingPartitions.joined(separator: ", ")
            lines += wrap(paint("FAIL", .red) + ": failing partitions: \(list)", indent: "  ")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The partitions of every topic, worst first: failing before passing, then by end-to-end lag (unknown
    /// lag counts as worst), then topic and partition.
    public static func worstFirst(_ report: VerificationReport) -> [(topic: String, partition: PartitionReport)] {
        let rows = report.topics.flatMap { topic in topic.partitions.map { (topic: topic.topic, partition: $0) } }
        return rows.sorted { left, right in
            if left.partition.passed != right.partition.passed { return !left.partition.passed }
            let leftLag = left.partition.endToEndLag ?? Int64.max
            let rightLag = right.partition.endToEndLag ?? Int64.max
            if leftLag != rightLag { return leftLag > rightLag }
            if left.topic != right.topic { return left.topic < right.topic }
            return left.partition.partition < right.partition.partition
        }
    }

    func partitionTable(_ report: VerificationReport) -> [String] {
        let rows = Self.worstFirst(report)
        var lines = ["Partitions (worst first)", row(Self.partitionColumns.map(\.0), Self.partitionColumns)]
        for (topic, partition) in rows.prefix(maxPartitionRows) {
            let status: String
            if partition.passed {
                status = paint(pad("ok", 9), .green)
            } else if partition.endToEndLag != nil {
                status = paint(pad("LAGGING", 9), .red)
            } else {
                status = paint(pad("UNKNOWN", 9), .yellow)
            }
            let bound = partition.lagIsLowerBound ? "≥" : ""
            // `~`: derived from the mirrors, not read where it lives.
            func cell(_ value: Int64?, _ name: String) -> String {
                (value != nil && partition.derived.contains(name) ? "~" : "") + show(value)
            }
            let cells = [
                topic, "\(partition.partition)", cell(partition.originEnd, "origin_end"),
                cell(partition.jumpEnd, "jump_end"), show(partition.targetEnd),
                bound + cell(partition.lag1, "lag_origin_to_jump"), show(partition.lag2),
                bound + cell(partition.endToEndLag, "lag_end_to_end"),
            ]
            lines.append(row(cells, Array(Self.partitionColumns.dropLast())) + " " + status)
        }
        if rows.count > maxPartitionRows {
            let rest = rows.dropFirst(maxPartitionRows)
            lines.append("… \(rest.count) more partitions, \(rest.count { !$0.partition.passed }) of them failing")
        }
        if rows.isEmpty { lines.append("(no partition could be read)") }
        lines += originEndLines(rows.map(\.partition))
        if rows.contains(where: { $0.partition.lagIsLowerBound }) {
            lines.append(
                "≥ n: a lower bound, not a measurement (records arrived between the jump's and the target's read)")
        }
        return lines
    }

    /// Which figures are derived (`~`), where the origin's ends come from, and why a measurement was not used.
    func originEndLines(_ partitions: [PartitionReport]) -> [String] {
        guard !partitions.isEmpty else { return [] }
        var lines: [String] = []
        if partitions.contains(where: { !$0.derived.isEmpty }) {
            lines += wrap(
                "~ n: derived from the mirrors, not read where it lives (ORIGIN END and the lags through it: jump "
                    + "mirror end + its lag, or the jump's end; JUMP END: target end + leg 2's lag)", indent: "  ")
        }
        var counted = OriginEndSource.allCases.compactMap { source -> String? in
            let count = partitions.count { $0.originEndSource == source }
            return count == 0 ? nil : "\(count) \(source.isMeasured ? "measured" : "derived") (\(source.phrase))"
        }
        // Key-free with no measurement, or a partition no hop shows: not observed, and not guessed.
        let unobserved = partitions.count { $0.originEnd == nil }
        if unobserved > 0 { counted.append("\(unobserved) not observed") }
        if !counted.isEmpty { lines += wrap("ORIGIN END: " + counted.joined(separator: ", "), indent: "  ") }
        let behind = partitions.filter { partition in
            guard let measured = partition.originEndMeasured, let end = partition.originEnd else { return false }
            return measured < end && !(partition.originEndSource?.isMeasured ?? false)
        }
        if !behind.isEmpty {
            lines += wrap(
                "ORIGIN END: \(behind.count) measured figure\(behind.count == 1 ? " was" : "s were") behind the "
                    + "mirrors' view (records arrived after it was read), so the larger derived figure is used: every "
                    + "figure is a lower bound of the origin's end, the largest is the closest", indent: "  ")
        }
        return lines
    }

    func totalsTable(_ report: VerificationReport) -> [String] {
        var lines = ["Totals per topic", row(Self.totalColumns.map(\.0), Self.totalColumns)]
        let topics = report.topics.sorted { left, right in
            if left.passed != right.passed { return !left.passed }
            if left.totals.maxEndToEndLag != right.totals.maxEndToEndLag {
                return left.totals.maxEndToEndLag > right.totals.maxEndToEndLag
            }
            return left.topic < right.topic
        }
        for topic in topics {
            let totals = topic.totals
            let cells = [
                topic.topic, "\(totals.partitions)", "\(totals.failingPartitions)", "\(totals.lag1)", "\(totals.lag2)",
                "\(totals.endToEndLag)", "\(totals.maxEndToEndLag)",
            ]
            let status = topic.passed ? paint(pad("ok", 9), .green) : paint(pad("FAIL", 9), .red)
            lines.append(row(cells, Array(Self.totalColumns.dropLast())) + " " + status)
        }
        return lines
    }

    func render(_ diagnosis: Diagnosis, number: Int) -> [String] {
        var head = "  \(number). \(diagnosis.hop), link \(diagnosis.link) on the \(diagnosis.cluster) "
        head += "(\(diagnosis.clusterID)): \(diagnosis.linkError ?? diagnosis.cause.rawValue)"
        var lines = wrap(head, indent: "     ")
        if !diagnosis.topics.isEmpty {
            lines += wrap("     topics: " + diagnosis.topics.joined(separator: ", "), indent: "       ")
        }
        lines += wrap("     observed: \(diagnosis.message)", indent: "       ")
        lines += wrap("     likely cause: \(diagnosis.likelyCause)", indent: "       ")
        lines += wrap("     more: \(diagnosis.suggestedCommand)", indent: "       ")
        lines += wrap("     REST: \(diagnosis.restCall)", indent: "       ")
        return lines
    }

    // MARK: Text helpers

    enum Paint: String {
        case red = "31"
        case green = "32"
        case yellow = "33"
    }

    func paint(_ text: String, _ paint: Paint) -> String {
        color ? "\u{1B}[\(paint.rawValue)m\(text)\u{1B}[0m" : text
    }

    func show(_ value: Int64?) -> String { value.map(String.init) ?? "-" }

    func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Left-aligned first column (truncated with `…`), right-aligned numbers.
    func row(_ cells: [String], _ columns: [(String, Int)]) -> String {
        zip(cells, columns).enumerated().map { index, pair in
            let (cell, (_, width)) = pair
            let text = cell.count > width ? String(cell.prefix(width - 1)) + "…" : cell
            let fill = String(repeating: " ", count: width - text.count)
            return index == 0 || columns[index].0 == "STATUS" ? text + fill : fill + text
        }.joined(separator: " ")
    }

    /// Wraps at word boundaries to `width` visible columns (ANSI escapes do not count); a single word longer
    /// than the width stays whole.
    func wrap(_ text: String, indent: String = "  ") -> [String] {
        var lines: [String] = []
        var current = ""
        var visible = 0
        var first = true
        for word in text.split(separator: " ", omittingEmptySubsequences: false) {
            let length = Self.visibleLength(word)
            if first {
                current = String(word)
                visible = length
                first = false
            } else if visible + 1 + length > width, !word.isEmpty, current.contains(where: { $0 != " " }) {
                lines.append(current)
                current = indent + word
                visible = indent.count + length
            } else {
                current += " " + word
                visible += 1 + length
            }
        }
        lines.append(current)
        return lines
    }

    static func visibleLength(_ text: Substring) -> Int {
        var count = 0
        var inEscape = false
        for character in text {
            if character == "\u{1B}" {
                inEscape = true
            } else if inEscape {
                if character == "m" { inEscape = false }
            } else {
                count += 1
            }
        }
        return count
    }
}
