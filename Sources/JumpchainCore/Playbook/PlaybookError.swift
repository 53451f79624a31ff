/// Why a playbook could not be loaded, or a secret reference could not be resolved.
///
/// `diagnostics` carries every problem found (for ``Code-swift.struct/invalidPlaybook``); `message` and
/// `description` name the file, field or variable and say what to fix. Neither ever holds a secret.
public struct PlaybookError: Error, Sendable, CustomStringConvertible {
    /// A stable error code; `rawValue` is part of jumpchain's output contract.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidPlaybook = "invalid-playbook"
            case fileUnreadable = "file-unreadable"
            case secretUnavailable = "secret-unavailable"
            case secretFileInsecure = "secret-file-insecure"
            case invalidProperties = "invalid-properties"
            case invalidPattern = "invalid-pattern"
        }

        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The playbook has at least one error diagnostic.
        public static let invalidPlaybook = Code(.invalidPlaybook)
        /// A playbook, properties or secret file could not be read.
        public static let fileUnreadable = Code(.fileUnreadable)
        /// An `env:` variable is unset or empty, or stdin ended early.
        public static let secretUnavailable = Code(.secretUnavailable)
        /// A `file:` secret is not a regular file with mode 0600 or 0400.
        public static let secretFileInsecure = Code(.secretFileInsecure)
        /// A `.properties` file has errors (see `diagnostics`).
        public static let invalidProperties = Code(.invalidProperties)
        /// A topic pattern does not compile.
        public static let invalidPattern = Code(.invalidPattern)

        public var rawValue: String { value.rawValue }
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var diagnostics: [Diagnostic]
    public var cause: (any Error & Sendable)?

    public init(code: Code, message: String, diagnostics: [Diagnostic] = [], cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
        self.cause = cause
    }

    public var description: String {
        ([message] + diagnostics.map(\.description)).joined(separator: "\n")
    }
}
