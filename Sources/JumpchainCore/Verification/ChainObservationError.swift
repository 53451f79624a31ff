/// Why a cluster of the chain could not be read (other than an API error).
public struct ChainObservationError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case unobservable = "unobservable"
            case rejected = "rejected"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// No credential for the cluster (the jump's only key is normally the link key, whose secret is wiped).
        public static let unobservable = Code(.unobservable)
        /// The cluster answered but the answer is unusable (a produce without partition or offset).
        public static let rejected = Code(.rejected)
        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { "\(code): \(message)" }
}
