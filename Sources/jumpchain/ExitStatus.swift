import ArgumentParser
import JumpchainCore
import Workflow

/// The one place where failures become exit codes (documented in README).
enum ExitStatus {
    static let invalidInput: Int32 = 2
    static let preflightFailed: Int32 = 3
    static let runFailed: Int32 = 4
    static let verificationFailed: Int32 = 5
    static let runUnfinished: Int32 = 6
    static let runNotFound: Int32 = 7
    static let stateUnusable: Int32 = 8
    static let lockFileUnusable: Int32 = 74
    /// `verify --groups`: a synced group's target offset trails the origin by more than `verify.max_group_lag`.
    static let groupsLagging: Int32 = 9
    /// A multi-site run (`--site`): this site has done what it can; another site's steps come next.
    static let otherSiteTurn: Int32 = 10
    static let runLocked: Int32 = 75
    /// `doctor`: some step cannot run from this host.
    static let doctorFindings: Int32 = 1
    static let interrupted: Int32 = 130

    static func code(for error: JumpchainError) -> Int32 {
        switch error.code {
        case .invalidInput: return invalidInput
        case .preflightFailed: return preflightFailed
        case .runFailed: return runFailed
        case .verificationFailed: return verificationFailed
        case .runUnfinished: return runUnfinished
        case .runNotFound: return runNotFound
        case .stateUnusable: return stateUnusable
        case .runLocked: return runLocked
        case .interrupted: return interrupted
        case .otherSiteTurn: return otherSiteTurn
        default: return 1
        }
    }

    /// The engine's errors where a command meets them directly (`force-unlock`, `state`): a live holder 75, a lock
    /// or store that cannot be opened 74, no such run 7, an unreadable or newer export or a run with another
    /// history 2, anything else 1.
    static func code(for error: WorkflowError) -> Int32 {
        switch error.code {
        case .runLocked: return runLocked
        case .lockFailed, .storeFailure: return lockFileUnusable
        case .runNotFound: return runNotFound
        case .storeCorrupt, .storeTooNew, .runAlreadyExists, .invalidPlan: return invalidInput
        default: return 1
        }
    }

    /// Prints an engine error's message (never its internal code) to stderr; returns the matching exit code.
    static func fail(_ error: WorkflowError) -> ExitCode {
        Terminal.error("jumpchain: \(error.message)")
        return ExitCode(code(for: error))
    }

    /// Prints `error` to stderr and converts it into the matching exit code.
    static func fail(_ error: JumpchainError) -> ExitCode {
        Terminal.error("jumpchain: \(error.message)")
        return ExitCode(code(for: error))
    }
}
