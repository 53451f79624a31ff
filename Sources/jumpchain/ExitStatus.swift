import ArgumentParser
import JumpchainCore

/// The one place where failures become exit codes (documented in README).
enum ExitStatus {
    static let invalidInput: Int32 = 2
    static let preflightFailed: Int32 = 3
    static let runFailed: Int32 = 4
    static let verificationFailed: Int32 = 5
    static let runUnfinished: Int32 = 6
    static let runNotFound: Int32 = 7
    /// `verify --groups`: a synced group's target offset trails the origin by more than `verify.max_group_lag`.
    static let groupsLagging: Int32 = 8
    static let runLocked: Int32 = 75
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

    /// Prints `error` to stderr and converts it into the matching exit code.
    static func fail(_ error: JumpchainError) -> ExitCode {
        Terminal.error("jumpchain: \(error.message)")
        return ExitCode(code(for: error))
    }
}
