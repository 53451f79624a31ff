import JumpchainJSON

/// Why a spec document or a JSON body could not be used at all (as opposed to a contract violation).
public struct OpenAPIContractError: Error, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "OpenAPIContractError(\(code)): \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }

    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case specNotFound = "spec-not-found"
            case specUnreadable = "spec-unreadable"
            case specInvalid = "spec-invalid"
            case invalidJSON = "invalid-json"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The spec directory or file does not exist; set `JUMPCHAIN_SPECS` to the `shared/specs` directory.
        public static let specNotFound = Code(.specNotFound)
        /// The spec file exists but could not be read.
        public static let specUnreadable = Code(.specUnreadable)
        /// The file is not a YAML/JSON OpenAPI 3.0 document.
        public static let specInvalid = Code(.specInvalid)
        /// A body is not well-formed JSON or a value cannot be represented as JSON.
        public static let invalidJSON = Code(.invalidJSON)

        public var description: String { wrapped.rawValue }
    }
}
