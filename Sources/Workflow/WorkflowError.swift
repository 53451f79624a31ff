/// The one error type the workflow engine throws.
///
/// Shaped like swift-nio's `FileSystemError`: a stable ``Code`` to switch on (and to map to exit codes),
/// a human message that names the offending file, step or run and what to do, and an optional cause.
public struct WorkflowError: Error, Sendable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Sendable {
            case invalidPlan
            case runLocked
            case lockFailed
            case runNotFound
            case runAlreadyExists
            case storeCorrupt
            case storeTooNew
            case storeFailure
            case stepFailed
            case ephemeralMissing
            case insecurePermissions
        }

        private let wrapped: Wrapped
        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The graph is malformed: duplicate id, cycle, or a dependency that does not exist.
        public static let invalidPlan = Code(.invalidPlan)
        /// Another runner holds the run's lock (on this host, or a holder on another host never released it).
        public static let runLocked = Code(.runLocked)
        /// The lock file could not be opened or locked for a reason other than contention.
        public static let lockFailed = Code(.lockFailed)
        /// No run exists in the given directory.
        public static let runNotFound = Code(.runNotFound)
        /// A run already exists in the directory given to ``RunStore/create(directory:runName:plan:manifest:)``.
        public static let runAlreadyExists = Code(.runAlreadyExists)
        /// The store file is not a readable SQLite database, or fails its integrity check.
        public static let storeCorrupt = Code(.storeCorrupt)
        /// The store was written by a newer version of the engine (unknown schema version).
        public static let storeTooNew = Code(.storeTooNew)
        /// Any other store (SQLite / file system) failure.
        public static let storeFailure = Code(.storeFailure)
        /// A step failed permanently.
        public static let stepFailed = Code(.stepFailed)
        /// A step needs in-memory material that is missing and could not be recovered.
        public static let ephemeralMissing = Code(.ephemeralMissing)
        /// An existing run directory or state file is readable by others or owned by another user.
        public static let insecurePermissions = Code(.insecurePermissions)

        /// A suggested process exit status (sysexits.h), so every CLI command maps codes the same way:
        /// `runLocked` 75 (EX_TEMPFAIL: try again later), `invalidPlan` 65 and `storeCorrupt`/`storeTooNew`
        /// 65 (EX_DATAERR), `runNotFound`/`runAlreadyExists` 66/73, store and lock failures 74 (EX_IOERR),
        /// step failures 1, insecure permissions 77 (EX_NOPERM).
        public var suggestedExitStatus: Int32 {
            switch wrapped {
            case .runLocked: return 75
            case .invalidPlan, .storeCorrupt, .storeTooNew: return 65
            case .runNotFound: return 66
            case .runAlreadyExists: return 73
            case .storeFailure, .lockFailed: return 74
            case .stepFailed, .ephemeralMissing: return 1
            case .insecurePermissions: return 77
            }
        }

        /// The stable string for logs, JSON output and exit-code mapping.
        public var description: String { wrapped.rawValue }
    }

    /// What went wrong, as a stable code.
    public var code: Code
    /// A clear message naming the file, step or run and what to do.
    public var message: String
    /// The underlying error, if any.
    public var cause: (any Error & Sendable)?

    /// Creates an error.
    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause {
            return "\(code): \(message) (cause: \(cause))"
        }
        return "\(code): \(message)"
    }
}
