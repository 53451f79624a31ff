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
        case .runLocked: return runLocked
        case .interrupted: return interrupted
        default: return 1
        }
    }

    /// Exit codes for engine (store) errors of commands that use the store directly (`state`, `force-unlock`).
    static func code(for error: WorkflowError) -> Int32 {
        switch error.code {
        case .runLocked: return runLocked
        case .runNotFound: return runNotFound
        case .storeCorrupt, .storeTooNew, .runAlreadyExists, .invalidPlan: return invalidInput
        default: return 1
        }
    }

    /// Prints an engine error to stderr and converts it into the matching exit code.
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
