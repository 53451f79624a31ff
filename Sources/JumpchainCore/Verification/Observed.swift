/// The outcome of reading one REST resource of the chain.
public enum Observed<Value: Sendable & Equatable>: Sendable, Equatable {
    case found(Value)
    /// HTTP 404.
    case missing
    /// No credential for the cluster; the text says which.
    case unobservable(String)
    /// The read failed: an error code (`unauthorized`, `unreachable`, …) and message.
    case failed(code: String, message: String)

    public var value: Value? {
        if case .found(let value) = self { return value }
        return nil
    }

    /// `found`, `missing`, `unobservable` or `error`: the `presence` strings of reports.
    public var presence: String {
        switch self {
        case .found: return "found"
        case .missing: return "missing"
        case .unobservable: return "unobservable"
        case .failed: return "error"
        }
    }
}
