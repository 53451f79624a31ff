import ConfluentAPI
import JumpchainHTTP
import Workflow

/// Turns failures inside rollout steps into the engine's retry classification, with a message that names
/// the cluster and what to fix.
enum StepError {
    static func permanent(_ message: String) -> StepFailure { StepFailure(message, retryable: false) }
    static func transient(_ message: String) -> StepFailure { StepFailure(message, retryable: true) }

    /// API errors: unreachable, rate limits and server errors may pass; auth and validation will not.
    static func from(_ error: ConfluentAPIError, hint: String? = nil) -> StepFailure {
        var message = error.description
        if let hint { message += ". \(hint)" } else if let advice = advice(for: error) { message += ". \(advice)" }
        return StepFailure(message, retryable: error.isTransient)
    }

    static func advice(for error: ConfluentAPIError) -> String? {
        switch error.code {
        case .unauthorized:
            return "The credentials for \(error.endpoint) were rejected: check the key and secret the playbook names"
        case .forbidden:
            return "The principal lacks an ACL for this operation on \(error.endpoint)"
        case .unreachable:
            switch (error.cause as? TransportError)?.code {
            case .tls?:
                return "The TLS handshake with \(error.endpoint) failed: check that the endpoint URL names the "
                    + "cluster's own host (its certificate must be for that name)"
            case .responseTooLarge?:
                return "\(error.endpoint) answered with more than jumpchain accepts: check that the endpoint URL "
                    + "points at the cluster's REST API"
            default:
                return "No answer from \(error.endpoint): run jumpchain from a host that can reach this network"
            }
        default:
            return nil
        }
    }
}
