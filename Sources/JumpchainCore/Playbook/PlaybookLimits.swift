/// Bounds on what a playbook may hold, checked before the YAML is parsed (size, nesting) or while it is
/// decoded (topic names), so that a huge or hostile file gets a located error instead of minutes of CPU, gigabytes
/// of memory or a stack overflow in the YAML composer.
public enum PlaybookLimits {
    /// A playbook file: 1 MiB (the shipped ones are under 4 KiB; a long topic list is ~25 bytes a name).
    public static let maxBytes = 1 << 20
    /// Names in `topics.names`; larger selections belong in `topics.patterns`.
    public static let maxTopicNames = 10_000
    /// Nesting of mappings and lists, estimated from indentation, `- ` markers and flow brackets.
    public static let maxNesting = 64

    /// An error diagnostic when `text` is larger than ``maxBytes``.
    static func sizeProblem(byteCount: Int, file: String) -> Diagnostic? {
        guard byteCount > maxBytes else { return nil }
        return Diagnostic(
            severity: .error, location: DiagnosticLocation(file: file, line: 1, column: 1),
            message: "the playbook is \(byteCount) bytes; the limit is \(maxBytes) bytes (1 MiB): name at most "
                + "\(maxTopicNames) topics in `topics.names` and select larger sets with `topics.patterns`")
    }

    /// An error diagnostic at the first line whose nesting estimate passes ``maxNesting``.
    ///
    /// The estimate over-counts (indentation columns count as levels) and ignores quoted text and comments,
    /// so it never lets a deeper document through to the recursive composer.
    static func nestingProblem(_ text: String, file: String) -> Diagnostic? {
        var flow = 0
        var line = 1
        var column = 0
        var lineStart = true
        var indent = 0
        var dashes = 0
        var quote: UInt8?
        var comment = false
        var previous: UInt8 = UInt8(ascii: "\n")
        for byte in text.utf8 {
            column += 1
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 0
                lineStart = true
                indent = 0
                dashes = 0
                comment = false
                previous = byte
                continue
            }
            if comment { continue }
            if let open = quote {
                if byte == open, previous != UInt8(ascii: "\\") || open == UInt8(ascii: "'") { quote = nil }
                previous = byte
                continue
            }
            switch byte {
            case UInt8(ascii: " ") where lineStart: indent += 1
            case UInt8(ascii: "-") where lineStart: dashes += 1
            case UInt8(ascii: "#") where previous == UInt8(ascii: " ") || lineStart: comment = true
            case UInt8(ascii: "'"), UInt8(ascii: "\""): quote = byte
            case UInt8(ascii: "["), UInt8(ascii: "{"): flow += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"): flow = max(0, flow - 1)
            default: break
            }
            if lineStart, byte != UInt8(ascii: " "), byte != UInt8(ascii: "-") { lineStart = false }
            if indent / 2 + dashes + flow > maxNesting {
                return Diagnostic(
                    severity: .error, location: DiagnosticLocation(file: file, line: line, column: max(column, 1)),
                    message: "mappings and lists are nested more than \(maxNesting) levels deep here; "
                        + "a playbook needs a handful")
            }
            previous = byte
        }
        return nil
    }
}
