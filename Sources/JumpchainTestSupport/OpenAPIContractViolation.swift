import JumpchainJSON

/// One way a body (or a status) breaks the contract of its operation.
///
/// `pointer` is the RFC 6901 pointer of the offending value in the body (`""` is the whole body),
/// so a failing test names the exact field, e.g. `/data/0/mirror_lags/1/lag`.
public struct ContractViolation: Sendable, Hashable, CustomStringConvertible {
    public var kind: Kind
    /// JSON pointer of the offending value inside the body.
    public var pointer: String
    /// What the contract asks for, e.g. `integer (int64)` or `one of [ACTIVE, PAUSED]`.
    public var expected: String
    /// What the body holds, e.g. `string "abc"` or `nothing`.
    public var found: String
    /// `METHOD /template` of the operation, or the concrete path when no operation matched.
    public var operation: String

    public init(kind: Kind, pointer: String, expected: String, found: String, operation: String = "") {
        self.kind = kind
        self.pointer = pointer
        self.expected = expected
        self.found = found
        self.operation = operation
    }

    /// One readable line: `POST /kafka/v3/.../mirrors:promote: /data/0/kind: type-mismatch: expected string, found integer 3`.
    public var description: String {
        let location = pointer.isEmpty ? "(body)" : pointer
        let prefix = operation.isEmpty ? "" : "\(operation): "
        return "\(prefix)\(location): \(kind): expected \(expected), found \(found)"
    }

    /// The category of a violation; compare with the static constants.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case unknownOperation = "unknown-operation"
            case undeclaredStatus = "undeclared-status"
            case invalidJSON = "invalid-json"
            case unexpectedBody = "unexpected-body"
            case missingBody = "missing-body"
            case typeMismatch = "type-mismatch"
            case nullNotAllowed = "null-not-allowed"
            case missingRequired = "missing-required"
            case unexpectedProperty = "unexpected-property"
            case enumMismatch = "enum-mismatch"
            case formatViolation = "format-violation"
            case constraintViolation = "constraint-violation"
            case noAlternativeMatched = "no-alternative-matched"
            case unresolvedReference = "unresolved-reference"
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// No operation in the loaded documents matches the method and path.
        public static let unknownOperation = Kind(.unknownOperation)
        /// The status is not declared and no range (`2XX`) or `default` response covers it.
        /// Kept apart so callers can tolerate, say, a 201 where the spec says 204.
        public static let undeclaredStatus = Kind(.undeclaredStatus)
        /// The body is not well-formed JSON.
        public static let invalidJSON = Kind(.invalidJSON)
        /// A body was sent where the operation declares none (e.g. a 204).
        public static let unexpectedBody = Kind(.unexpectedBody)
        /// The body is empty where the operation declares a JSON one (a required request body, or a response).
        public static let missingBody = Kind(.missingBody)
        /// Wrong JSON type (`type:`).
        public static let typeMismatch = Kind(.typeMismatch)
        /// `null` where the schema is not `nullable`.
        public static let nullNotAllowed = Kind(.nullNotAllowed)
        /// A `required` property is absent.
        public static let missingRequired = Kind(.missingRequired)
        /// A property not allowed by `additionalProperties: false` (or failing its schema).
        public static let unexpectedProperty = Kind(.unexpectedProperty)
        /// A value outside a closed `enum`.
        public static let enumMismatch = Kind(.enumMismatch)
        /// An integer outside its `int32`/`int64` range.
        public static let formatViolation = Kind(.formatViolation)
        /// `minimum`/`maximum`/`minLength`/`maxLength`/`minItems`/`maxItems` not met.
        public static let constraintViolation = Kind(.constraintViolation)
        /// No branch of a `oneOf`/`anyOf` accepts the value.
        public static let noAlternativeMatched = Kind(.noAlternativeMatched)
        /// The spec itself has a `$ref` that does not resolve (a spec problem, not a body problem).
        public static let unresolvedReference = Kind(.unresolvedReference)

        public var description: String { wrapped.rawValue }
    }
}
