import Yams

/// Walks a Yams node tree, reporting every problem as a located ``Diagnostic`` instead of stopping at the
/// first. Readers return nil after reporting, so callers simply skip what could not be read.
final class YAMLReader {
    let file: String
    let environment: [String: String]
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func location(_ mark: Mark?) -> DiagnosticLocation {
        DiagnosticLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func error(_ message: String, at mark: Mark?) {
        diagnostics.append(Diagnostic(severity: .error, location: location(mark), message: message))
    }

    func warning(_ message: String, at mark: Mark?) {
        diagnostics.append(Diagnostic(severity: .warning, location: location(mark), message: message))
    }

    func append(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    /// A scalar's text after `${VAR}` substitution.
    struct Text {
        var value: String
        /// The text as written in the file.
        var raw: String
        var mark: Mark?
        var style: Node.Scalar.Style

        /// How to quote this value in a message: the text as written, never the expansion (an expanded
        /// value may come from a variable that holds something private).
        var shown: String {
            raw == value ? "`\(raw)`" : "`\(raw)` (after substitution)"
        }
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any {
            return node.null != nil
        }
        return false
    }

    private static func kindName(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .scalar: "a scalar"
        case .alias: "an alias"
        }
    }

    /// The substituted text of a scalar; reports a mapping/list given where a scalar is expected.
    func text(_ node: Node, field: String, expected: String) -> Text? {
        guard case .scalar(let scalar) = node else {
            error("`\(field)` must be \(expected), found \(Self.kindName(node))", at: node.mark)
            return nil
        }
        switch EnvironmentSubstitution.substitute(scalar.string, environment: environment) {
        case .success(let value):
            return Text(value: value, raw: scalar.string, mark: scalar.mark, style: scalar.style)
        case .failure(.undefined(let name, _)):
            error(
                "environment variable `\(name)` used in `\(field)` is not set; export it or write the value "
                    + "(write `$${` for a literal `${`)", at: scalar.mark)
        case .failure(.malformed):
            error(
                "malformed `${…}` in `\(field)`: expected `${NAME}` with a name of letters, digits and `_` "
                    + "(write `$${` for a literal `${`)", at: scalar.mark)
        }
        return nil
    }

    func string(_ node: Node?, field: String, expected: String = "a string") -> Text? {
        guard let node, !Self.isNull(node) else { return nil }
        return text(node, field: field, expected: expected)
    }

    func bool(_ node: Node?, field: String) -> Bool? {
        guard let node, !Self.isNull(node), let text = text(node, field: field, expected: "`true` or `false`") else {
            return nil
        }
        switch text.value {
        case "true", "True", "TRUE", "yes": return true
        case "false", "False", "FALSE", "no": return false
        default:
            error("`\(field)` must be `true` or `false`, found \(text.shown)", at: text.mark)
            return nil
        }
    }

    func int(_ node: Node?, field: String, range: ClosedRange<Int>) -> Int? {
        guard let node, !Self.isNull(node), let text = text(node, field: field, expected: "a whole number") else {
            return nil
        }
        guard let value = Int(text.value), range.contains(value) else {
            let bounds =
                range.upperBound == Int.max
                ? "a whole number ≥ \(range.lowerBound)"
                : "a whole number from \(range.lowerBound) to \(range.upperBound)"
            error("`\(field)` must be \(bounds), found \(text.shown)", at: text.mark)
            return nil
        }
        return value
    }

    func list(_ node: Node?, field: String) -> [Node]? {
        guard let node, !Self.isNull(node) else { return nil }
        guard case .sequence(let sequence) = node else {
            error("`\(field)` must be a list, found \(Self.kindName(node))", at: node.mark)
            return nil
        }
        return Array(sequence)
    }

    /// A mapping's entries by key, reporting unknown keys (with a suggestion) and non-string keys.
    func mapping(_ node: Node?, field: String, known: [String], keyMark: Mark?) -> Fields? {
        guard let node, !Self.isNull(node) else { return nil }
        guard case .mapping(let mapping) = node else {
            error("`\(field)` must be a mapping, found \(Self.kindName(node))", at: node.mark)
            return nil
        }
        var fields = Fields(field: field, mark: keyMark ?? mapping.mark)
        for (key, value) in mapping {
            guard case .scalar(let keyScalar) = key else {
                error("keys in `\(field)` must be plain names", at: key.mark)
                continue
            }
            let name = keyScalar.string
            if !known.isEmpty, !known.contains(name) {
                let place = field.isEmpty ? "at the top level" : "in `\(field)`"
                if let suggestion = Suggestion.closest(to: name, among: known) {
                    error("unknown key `\(name)` \(place); did you mean `\(suggestion)`?", at: key.mark)
                } else {
                    error(
                        "unknown key `\(name)` \(place); expected one of: \(known.map { "`\($0)`" }.joined(separator: ", "))",
                        at: key.mark)
                }
                continue
            }
            fields.entries.append((name, key, value))
        }
        return fields
    }

    /// Reports a missing required key.
    func missing(_ key: String, in fields: Fields, expected: String) {
        let place = fields.field.isEmpty ? "at the top level" : "in `\(fields.field)`"
        error("missing required key `\(key)` \(place): expected \(expected)", at: fields.mark)
    }
}

/// The recognised entries of one YAML mapping.
struct Fields {
    var field: String
    var mark: Mark?
    var entries: [(name: String, key: Node, value: Node)] = []

    subscript(name: String) -> Node? { entries.first { $0.name == name }?.value }

    func keyMark(_ name: String) -> Mark? { entries.first { $0.name == name }?.key.mark }

    func path(_ name: String) -> String { field.isEmpty ? name : "\(field).\(name)" }
}
