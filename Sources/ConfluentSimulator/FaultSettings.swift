/// Faults the simulator injects, set in the config and replaced at run time by `POST /sim/v1/faults`.
///
/// A "listener" is `control-plane` or a cluster id. Request faults (latency, 5xx, 429, drops,
/// blackholes) never touch `/sim/v1/...`, so a test can always repair the world.
public struct FaultSettings: Codable, Sendable, Equatable {
    /// Listeners the latency / 5xx / 429 / drop faults apply to; nil means every listener.
    public var listeners: [String]?
    /// Added latency before every answer, in milliseconds.
    public var latencyMs: Int
    /// Fraction (0…1) of requests answered with a 5xx (cluster: 500 `50003`; control plane: 500).
    public var serverErrorRate: Double
    /// The next N requests are answered 429 (a burst); counts down as it is used.
    public var rateLimitBurst: Int
    /// Request-rate limits (requests per second, 1-second window), keyed by listener (`lkc-a`) or by
    /// listener and path prefix (`control-plane /iam/v2/api-keys`); excess gets 429.
    public var requestsPerSecond: [String: Double]
    /// Fraction (0…1) of requests whose connection is dropped without an answer.
    public var dropConnectionRate: Double
    /// The next N requests have their connection dropped; counts down as it is used.
    public var dropNext: Int
    /// Listeners that accept requests and never answer (a private network this host cannot reach).
    public var blackholed: [String]
    /// Global cap on replication, records per second per mirror partition.
    public var replicationThrottle: Double?
    /// Per-link caps (records per second per mirror partition), keyed by link name.
    public var linkThrottles: [String: Double]
    /// Phase newly provisioned network link services/endpoints settle at instead of `READY`
    /// (e.g. `FAILED`); nil for healthy provisioning.
    public var networkLinkFailurePhase: String?
    /// Records a link's mirrors copy land this many offsets later than at their source, keyed by link name
    /// (a broken hop that loses offset preservation; the canary's read-back must catch it).
    public var offsetShifts: [String: Int] = [:]
    /// Requests answered 500 every time, keyed by listener, method and path prefix
    /// (`control-plane DELETE /iam/v2/api-keys`): an operation that keeps failing after every retry.
    public var failingRequests: [String] = []
    /// Seed of the fault dice, so a faulty run can be replayed.
    public var seed: UInt64

    public init(
        listeners: [String]? = nil, latencyMs: Int = 0, serverErrorRate: Double = 0, rateLimitBurst: Int = 0,
        requestsPerSecond: [String: Double] = [:], dropConnectionRate: Double = 0, dropNext: Int = 0,
        blackholed: [String] = [], replicationThrottle: Double? = nil, linkThrottles: [String: Double] = [:],
        networkLinkFailurePhase: String? = nil, seed: UInt64 = 1
    ) {
        self.listeners = listeners
        self.latencyMs = latencyMs
        self.serverErrorRate = serverErrorRate
        self.rateLimitBurst = rateLimitBurst
        self.requestsPerSecond = requestsPerSecond
        self.dropConnectionRate = dropConnectionRate
        self.dropNext = dropNext
        self.blackholed = blackholed
        self.replicationThrottle = replicationThrottle
        self.linkThrottles = linkThrottles
        self.networkLinkFailurePhase = networkLinkFailurePhase
        self.seed = seed
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        self.init(
            listeners: try c.optional(.listeners),
            latencyMs: try c.value(.latencyMs, default: 0),
            serverErrorRate: try c.value(.serverErrorRate, default: 0),
            rateLimitBurst: try c.value(.rateLimitBurst, default: 0),
            requestsPerSecond: try c.value(.requestsPerSecond, default: [:]),
            dropConnectionRate: try c.value(.dropConnectionRate, default: 0),
            dropNext: try c.value(.dropNext, default: 0),
            blackholed: try c.value(.blackholed, default: []),
            replicationThrottle: try c.optional(.replicationThrottle),
            linkThrottles: try c.value(.linkThrottles, default: [:]),
            networkLinkFailurePhase: try c.optional(.networkLinkFailurePhase),
            seed: try c.value(.seed, default: 1))
        offsetShifts = try c.value(.offsetShifts, default: [:])
        failingRequests = try c.value(.failingRequests, default: [])
    }

    /// Whether `method path` on `listener` matches a ``failingRequests`` key.
    func fails(listener: String, method: String, path: String) -> Bool {
        failingRequests.contains { key in
            let parts = key.split(separator: " ", maxSplits: 2).map(String.init)
            return parts.count == 3 && parts[0] == listener && parts[1] == method && path.hasPrefix(parts[2])
        }
    }

    func applies(to listener: String) -> Bool {
        listeners.map { $0.contains(listener) } ?? true
    }
}
