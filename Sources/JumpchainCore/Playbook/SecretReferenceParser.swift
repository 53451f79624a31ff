import Foundation

/// Parses `env:VAR`, `file:PATH` and `stdin` in credential fields, refusing literal secrets.
struct SecretReferenceParser {
    let reader: YAMLReader
    let baseDirectory: String

    /// A key field may be literal (key ids are public); a secret field must be a reference.
    func parse(_ text: YAMLReader.Text, field: String, isSecretField: Bool) -> CredentialReference.Key? {
        let value = text.value
        if value == "stdin" { return .reference(.stdin(field)) }
        if value.hasPrefix("env:") {
            let name = String(value.dropFirst(4))
            guard EnvironmentSubstitution.isVariableName(name) else {
                reader.error(
                    "`\(field)`: `env:` must be followed by a variable name (letters, digits, `_`), like `env:ORIGIN_SECRET`",
                    at: text.mark)
                return nil
            }
            return .reference(.env(name))
        }
        if value.hasPrefix("file:") {
            let path = String(value.dropFirst(5))
            guard !path.isEmpty else {
                reader.error(
                    "`\(field)`: `file:` must be followed by a path, like `file:/etc/jumpchain/origin.secret`",
                    at: text.mark)
                return nil
            }
            let absolute = path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
            if let problem = SecretFile.problem(path: absolute) {
                reader.error("`\(field)`: \(problem)", at: text.mark)
                return nil
            }
            return .reference(.file(absolute))
        }
        guard isSecretField else {
            guard !value.isEmpty,
                value.unicodeScalars.allSatisfy({
                    PlaybookSyntax.isAlphanumeric($0) || "_.-".unicodeScalars.contains($0)
                })
            else {
                reader.error(
                    "`\(field)` must be an API key id (letters and digits) or a reference `env:VAR`, `file:PATH` or `stdin`",
                    at: text.mark)
                return nil
            }
            return .literal(value)
        }
        // Never echo the value: it may be the secret itself.
        if let scheme = Self.scheme(of: value) {
            reader.error(
                "`\(field)`: unknown reference `\(scheme):`; use `env:VAR`, `file:PATH` (mode 0600) or `stdin`",
                at: text.mark)
        } else {
            reader.error(
                "`\(field)` holds a literal value; playbooks never contain secrets: use `env:VAR`, `file:PATH` "
                    + "(mode 0600) or `stdin`", at: text.mark)
        }
        return nil
    }

    /// A short lowercase word before `:` (`vault:`), which is safe to echo.
    private static func scheme(of value: String) -> String? {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let scheme = value[..<colon]
        guard (2...10).contains(scheme.count), scheme.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) else {
            return nil
        }
        return String(scheme)
    }
}
