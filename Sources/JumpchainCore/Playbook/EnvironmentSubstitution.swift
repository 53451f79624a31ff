/// `${VAR}` substitution in playbook string values, so a playbook can name clusters known only at run
/// time (the simulator's demo). `$${` writes a literal `${`. An undefined variable is an error: silently
/// substituting "" would turn a typo into a wrong cluster.
enum EnvironmentSubstitution {
    enum Failure: Error, Equatable {
        /// The variable is not set; `offset` is the scalar offset of its `${`.
        case undefined(name: String, offset: Int)
        /// `${` without `}` or with an invalid name.
        case malformed(offset: Int)
    }

    /// Returns the substituted text, or the first failure.
    static func substitute(_ text: String, environment: [String: String]) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        let scalars = Array(text.unicodeScalars)
        var output = String.UnicodeScalarView()
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "$", index + 2 < scalars.count, scalars[index + 1] == "$", scalars[index + 2] == "{" {
                output.append(contentsOf: ["$", "{"])
                index += 3
                continue
            }
            guard scalar == "$", index + 1 < scalars.count, scalars[index + 1] == "{" else {
                output.append(scalar)
                index += 1
                continue
            }
            guard let close = scalars[(index + 2)...].firstIndex(of: "}") else {
                return .failure(.malformed(offset: index))
            }
            let name = String(String.UnicodeScalarView(scalars[(index + 2)..<close]))
            guard isVariableName(name) else { return .failure(.malformed(offset: index)) }
            guard let value = environment[name] else { return .failure(.undefined(name: name, offset: index)) }
            output.append(contentsOf: value.unicodeScalars)
            index = close + 1
        }
        return .success(String(output))
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { PlaybookSyntax.isAlphanumeric($0) || $0 == "_" }
    }
}
