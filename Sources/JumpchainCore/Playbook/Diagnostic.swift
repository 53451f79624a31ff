/// Where a diagnostic points: a file and a 1-based line and column (columns count Unicode scalars, as
/// libYAML does), printed `file:line:column` so editors and terminals can jump to it.
public struct DiagnosticLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// One finding about a playbook. Validation collects all of them instead of stopping at the first, so a
/// user fixes a playbook in one pass.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case error
        case warning
        case note

        private var rank: Int {
            switch self {
            case .error: 0
            case .warning: 1
            case .note: 2
            }
        }

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    public var severity: Severity
    public var location: DiagnosticLocation
    /// What is wrong and what is expected. Never contains secret material.
    public var message: String

    public init(severity: Severity, location: DiagnosticLocation, message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// `file:line:column: severity: message`, the format compilers use.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

extension [Diagnostic] {
    /// Whether any diagnostic is an error (warnings and notes do not stop a run).
    public var containsErrors: Bool { contains { $0.severity == .error } }

    /// Sorted by file, line and column: the order a user reads the file in.
    func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { lhs, rhs in
            let (a, b) = (lhs.element.location, rhs.element.location)
            if a.file != b.file { return a.file < b.file }
            if a.line != b.line { return a.line < b.line }
            if a.column != b.column { return a.column < b.column }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
