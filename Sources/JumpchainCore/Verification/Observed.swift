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

/// Recorded as `{"found": value}`, `{"missing": true}`, `{"unobservable": why}` or
/// `{"failed": {"code": …, "message": …}}` (a multi-site run's recorded observations).
extension Observed: Codable where Value: Codable {
    enum CodingKeys: String, CodingKey {
        case found, missing, unobservable, failed
    }

    struct Failure: Codable {
        var code: String
        var message: String
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .found(let value): try container.encode(value, forKey: .found)
        case .missing: try container.encode(true, forKey: .missing)
        case .unobservable(let why): try container.encode(why, forKey: .unobservable)
        case .failed(let code, let message):
            try container.encode(Failure(code: code, message: message), forKey: .failed)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let value = try container.decodeIfPresent(Value.self, forKey: .found) {
            self = .found(value)
        } else if let why = try container.decodeIfPresent(String.self, forKey: .unobservable) {
            self = .unobservable(why)
        } else if let failure = try container.decodeIfPresent(Failure.self, forKey: .failed) {
            self = .failed(code: failure.code, message: failure.message)
        } else if try container.decodeIfPresent(Bool.self, forKey: .missing) == true {
            self = .missing
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a recorded observation"))
        }
    }
}
