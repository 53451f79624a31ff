/// A Java-style `.properties` file, as Confluent's docs use for link configs (`--config-file`).
///
/// Follows `java.util.Properties.load`: `#`/`!` comment lines, blank lines, `key=value`, `key: value` or
/// `key value`, a trailing odd backslash continues the line (the next line's leading blanks are dropped),
/// escapes `\t \n \r \f \uXXXX` and `\x` for any other `x`. A later duplicate key wins, with a warning.
public struct PropertiesFile: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: String
        /// The line and column where the key starts.
        public var location: DiagnosticLocation
    }

    /// The file name used in diagnostics.
    public var file: String
    /// Entries in file order, duplicates included.
    public var entries: [Entry]
    /// Warnings (duplicate keys, a continuation at the end of the file).
    public var diagnostics: [Diagnostic]

    /// The effective values: the last entry for each key wins.
    public var values: [String: String] {
        var result: [String: String] = [:]
        for entry in entries { result[entry.key] = entry.value }
        return result
    }

    /// Parses `text`; `file` names the source in diagnostics. Throws ``PlaybookError/Code-swift.struct/invalidProperties``
    /// with every error found, each as `file:line:column`.
    public static func parse(text: String, file: String) throws(PlaybookError) -> PropertiesFile {
        var parser = PropertiesParser(file: file, lines: splitLines(text))
        parser.run()
        if parser.diagnostics.containsErrors {
            throw PlaybookError(
                code: .invalidProperties, message: "\(file) has errors", diagnostics: parser.diagnostics)
        }
        return PropertiesFile(file: file, entries: parser.entries, diagnostics: parser.diagnostics)
    }

    private static func splitLines(_ text: String) -> [[Unicode.Scalar]] {
        var lines: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && previousWasCR {
                previousWasCR = false
                continue
            }
            previousWasCR = scalar == "\r"
            if scalar == "\n" || scalar == "\r" {
                lines.append(current)
                current = []
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}

/// The line-by-line state machine behind ``PropertiesFile/parse(text:file:)``.
private struct PropertiesParser {
    let file: String
    let lines: [[Unicode.Scalar]]
    var entries: [PropertiesFile.Entry] = []
    var diagnostics: [Diagnostic] = []
    private var seen: [String: Int] = [:]

    init(file: String, lines: [[Unicode.Scalar]]) {
        self.file = file
        self.lines = lines
    }

    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{0C}"
    }

    /// Whether `line` ends with an odd number of backslashes (a continuation).
    private static func continues(_ line: ArraySlice<Unicode.Scalar>) -> Bool {
        var count = 0
        for scalar in line.reversed() {
            guard scalar == "\\" else { break }
            count += 1
        }
        return count % 2 == 1
    }

    mutating func run() {
        var index = 0
        while index < lines.count {
            let startLine = index + 1
            let natural = lines[index][...]
            index += 1
            guard let first = natural.firstIndex(where: { !Self.isBlank($0) }) else { continue }
            if natural[first] == "#" || natural[first] == "!" { continue }
            // The logical line: its scalars with the (1-based line, column) each came from.
            var logical: [(Unicode.Scalar, Int, Int)] = []
            var segment = natural[first...]
            var segmentLine = startLine
            var segmentColumn = first + 1
            while true {
                let more = Self.continues(segment)
                let body = more ? segment.dropLast() : segment
                for (offset, scalar) in body.enumerated() {
                    logical.append((scalar, segmentLine, segmentColumn + offset))
                }
                guard more else { break }
                guard index < lines.count else {
                    warn(line: segmentLine, column: segmentColumn, "line continuation `\\` at the end of the file")
                    break
                }
                let next = lines[index][...]
                index += 1
                segmentLine = index
                let start = next.firstIndex(where: { !Self.isBlank($0) }) ?? next.endIndex
                segment = next[start...]
                segmentColumn = start + 1
            }
            parseEntry(logical, line: startLine, column: first + 1)
        }
    }

    private mutating func parseEntry(_ scalars: [(Unicode.Scalar, Int, Int)], line: Int, column: Int) {
        var position = 0
        var keyScalars: [(Unicode.Scalar, Int, Int)] = []
        // The key runs to the first unescaped `=`, `:` or blank.
        while position < scalars.count {
            let scalar = scalars[position].0
            if scalar == "\\" {
                keyScalars.append(scalars[position])
                if position + 1 < scalars.count { keyScalars.append(scalars[position + 1]) }
                position += 2
                continue
            }
            if scalar == "=" || scalar == ":" || Self.isBlank(scalar) { break }
            keyScalars.append(scalars[position])
            position += 1
        }
        while position < scalars.count, Self.isBlank(scalars[position].0) { position += 1 }
        if position < scalars.count, scalars[position].0 == "=" || scalars[position].0 == ":" { position += 1 }
        while position < scalars.count, Self.isBlank(scalars[position].0) { position += 1 }
        guard let key = unescape(keyScalars), let value = unescape(Array(scalars[position...])) else { return }
        guard !key.isEmpty else {
            error(line: line, column: column, "missing key before `=` or `:`; write `name=value`")
            return
        }
        let location = DiagnosticLocation(file: file, line: line, column: column)
        if let earlier = seen[key] {
            warn(line: line, column: column, "`\(key)` is set again (first on line \(earlier)); the later value wins")
        }
        seen[key] = line
        entries.append(PropertiesFile.Entry(key: key, value: value, location: location))
    }

    /// Resolves escapes; nil (after reporting) on a malformed `\uXXXX`.
    private mutating func unescape(_ scalars: [(Unicode.Scalar, Int, Int)]) -> String? {
        var result = String.UnicodeScalarView()
        var position = 0
        while position < scalars.count {
            let (scalar, line, column) = scalars[position]
            position += 1
            guard scalar == "\\" else {
                result.append(scalar)
                continue
            }
            guard position < scalars.count else { break }
            let escaped = scalars[position].0
            position += 1
            switch escaped {
            case "t": result.append("\t")
            case "n": result.append("\n")
            case "r": result.append("\r")
            case "f": result.append("\u{0C}")
            case "u":
                let digits = scalars[position..<min(position + 4, scalars.count)].map { Character($0.0) }
                guard digits.count == 4, let code = UInt32(String(digits), radix: 16), let value = Unicode.Scalar(code)
                else {
                    error(line: line, column: column, "malformed `\\uXXXX` escape: expected four hexadecimal digits")
                    return nil
                }
                result.append(value)
                position += 4
            default: result.append(escaped)
            }
        }
        return String(result)
    }

    private mutating func error(line: Int, column: Int, _ message: String) {
        diagnostics.append(
            Diagnostic(
                severity: .error, location: DiagnosticLocation(file: file, line: line, column: column), message: message
            ))
    }

    private mutating func warn(line: Int, column: Int, _ message: String) {
        diagnostics.append(
            Diagnostic(
                severity: .warning, location: DiagnosticLocation(file: file, line: line, column: column),
                message: message))
    }
}
