/// The tests' one seeded generator (SplitMix64): randomized tests print their seed and replay from it.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed from `JUMPCHAIN_TEST_SEED` when set (to replay a printed one), else a fresh random one.
    public static func seed(environment: [String: String]) -> UInt64 {
        environment["JUMPCHAIN_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
    }
}
