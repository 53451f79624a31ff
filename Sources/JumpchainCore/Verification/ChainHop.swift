/// One hop of the chain. Raw values are stable (JSON keys, failure strings).
public enum ChainHop: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// origin → jump, source-initiated.
    case leg1
    /// jump → target, destination-initiated on the target.
    case leg2

    /// The cluster the hop copies from.
    public var source: PlaybookCluster.Role { self == .leg1 ? .origin : .jump }
    /// The cluster the hop copies to; its mirror topics live here.
    public var destination: PlaybookCluster.Role { self == .leg1 ? .jump : .target }

    public var description: String {
        self == .leg1 ? "leg 1 (origin → jump)" : "leg 2 (jump → target)"
    }
}
