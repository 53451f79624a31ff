/// Why the simulator could not start or load its configuration.
public struct SimulatorError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case invalidConfig = "invalid-config"
            case unknownScenario = "unknown-scenario"
            case listenerFailed = "listener-failed"
            case io
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The configuration is inconsistent (unknown ids, duplicates, bad YAML).
        public static let invalidConfig = Code(.invalidConfig)
        /// `scenario(named:)` was given a name it does not know.
        public static let unknownScenario = Code(.unknownScenario)
        /// A listener could not bind or start.
        public static let listenerFailed = Code(.listenerFailed)
        /// Reading or writing a file failed.
        public static let io = Code(.io)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        var text = "simulator error [\(code)]: \(message)"
        if let cause { text += " (cause: \(cause))" }
        return text
    }
}
