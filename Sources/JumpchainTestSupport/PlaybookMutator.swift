/// Seeded text mutations for property tests of the playbook reader (shared by the library and CLI tests).
public enum PlaybookMutator {
    static let replacements = [
        "[]", "{}", "42", "-1", "true", "null", "~", "[a, b]", "{x: 1}", "\"\"", "1e400", "0x1F", "!!binary AA==",
        "*anchor", "&a [*a]", "'unterminated", "\"\\u0000\"", "2026-13-45", ".nan", "| \n  block",
    ]
    static let unicode = ["é", "\u{202E}", "\u{FEFF}", "😀", "\u{0301}", "ﬁ", "\u{2028}", "\u{00A0}", "İ", "\u{10FFFF}"]

    /// One random edit of `text` (deletion, duplication, type swap, unicode, deep nesting, truncation, line
    /// swap) and a description of it for failure messages.
    public static func mutate(_ text: String, using generator: inout SeededGenerator) -> (String, String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = Int.random(in: 0..<lines.count, using: &generator)
        switch Int.random(in: 0..<7, using: &generator) {
        case 0:
            lines.remove(at: index)
            return (lines.joined(separator: "\n"), "deleted line \(index + 1)")
        case 1:
            lines.insert(lines[index], at: index)
            return (lines.joined(separator: "\n"), "duplicated line \(index + 1)")
        case 2:
            let replacement = replacements.randomElement(using: &generator)!
            guard let colon = lines[index].firstIndex(of: ":") else {
                lines[index] += " " + replacement
                return (lines.joined(separator: "\n"), "appended \(replacement) to line \(index + 1)")
            }
            lines[index] = String(lines[index][...colon]) + " " + replacement
            return (lines.joined(separator: "\n"), "value of line \(index + 1) → \(replacement)")
        case 3:
            var line = Array(lines[index])
            let position = Int.random(in: 0...line.count, using: &generator)
            let inserted = unicode.randomElement(using: &generator)!
            line.insert(contentsOf: inserted, at: position)
            lines[index] = String(line)
            return (
                lines.joined(separator: "\n"),
                "inserted U+\(inserted.unicodeScalars.map { String($0.value, radix: 16) }) in line \(index + 1)"
            )
        case 4:
            let depth = Int.random(in: 10...5_000, using: &generator)
            let open = Bool.random(using: &generator) ? "[" : "{a: "
            guard let colon = lines[index].firstIndex(of: ":") else { return (text, "no-op") }
            lines[index] = String(lines[index][...colon]) + " " + String(repeating: open, count: depth) + "x"
            return (lines.joined(separator: "\n"), "nested line \(index + 1) \(depth) deep")
        case 5:
            let bytes = Array(text.utf8)
            let cut = Int.random(in: 0..<bytes.count, using: &generator)
            return (String(decoding: bytes[..<cut], as: UTF8.self), "truncated at byte \(cut)")
        default:
            let other = Int.random(in: 0..<lines.count, using: &generator)
            lines.swapAt(index, other)
            return (lines.joined(separator: "\n"), "swapped lines \(index + 1) and \(other + 1)")
        }
    }
}
