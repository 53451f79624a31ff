/// A failure of a jumpchain command, with a stable code the CLI maps to an exit code in one place.
public struct JumpchainError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidInput = "invalid-input"
            case preflightFailed = "preflight-failed"
            case runFailed = "run-failed"
            case runUnfinished = "run-unfinished"
            case runNotFound = "run-not-found"
            case stateUnusable = "state-unusable"
            case runLocked = "run-locked"
            case interrupted = "interrupted"
            case otherSiteTurn = "other-site-turn"
            case verificationFailed = "verification-failed"
            case remote = "remote-error"
            case internalError = "internal"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }
        /// A playbook, reference or argument is wrong; nothing was sent anywhere.
        public static let invalidInput = Code(.invalidInput)
        /// A preflight check failed; nothing was changed remotely.
        public static let preflightFailed = Code(.preflightFailed)
        /// A step failed permanently; fix the cause and `resume`.
        public static let runFailed = Code(.runFailed)
        /// `apply` found an unfinished run of the same name: `resume` it.
        public static let runUnfinished = Code(.runUnfinished)
        public static let runNotFound = Code(.runNotFound)
        /// The run's `state.sqlite` is empty, damaged or holds no run: recover with `apply --adopt`.
        public static let stateUnusable = Code(.stateUnusable)
        /// Another runner holds the run's lock.
        public static let runLocked = Code(.runLocked)
        /// Stopped by SIGINT/SIGTERM; the run can be resumed.
        public static let interrupted = Code(.interrupted)
        /// A multi-site run: every step this site can run is done; another site's steps come next.
        public static let otherSiteTurn = Code(.otherSiteTurn)
        public static let verificationFailed = Code(.verificationFailed)
        public static let remote = Code(.remote)
        public static let internalError = Code(.internalError)
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

    public var description: String { message }
}
