import Synchronization

/// One request the simulator answered, as recorded for contract tests: what jumpchain sent and what the
/// simulator gave back, to be validated against the operation's schemas in Confluent's OpenAPI documents.
public struct SimulatorExchange: Sendable {
    /// `control-plane` or a cluster id.
    public var listener: String
    public var method: String
    /// The path without the query string.
    public var path: String
    public var status: Int
    public var requestBody: [UInt8]
    public var responseBody: [UInt8]
}

extension Simulator {
    /// Starts (or stops) recording every answered exchange. Off by default: recordings hold secrets.
    public func recordExchanges(_ on: Bool) {
        world.exchanges.withLock { $0.recording = on }
    }

    /// The exchanges recorded so far.
    public func recordedExchanges() -> [SimulatorExchange] {
        world.exchanges.withLock { $0.log }
    }
}
