import JumpchainJSON

/// What one listener (`control-plane` or a cluster id) has served since the simulator started, for
/// benchmarks and tests: requests, 429 answers and distinct TCP connections. `/sim/v1/...` is not counted,
/// so reading the counters does not change them.
struct ListenerTraffic {
    /// Requests received (answered or dropped).
    var requests = 0
    /// Answers with status 429 (rate limits, bursts).
    var tooManyRequests = 0
    /// Remote `address:port` of every connection that sent a request: one per TCP connection.
    var connections: Set<String> = []

    var json: JSON {
        [
            "requests": .int(requests), "too_many_requests": .int(tooManyRequests),
            "connections": .int(connections.count),
        ]
    }
}

extension WorldState {
    /// Counts one request on `listener` over `connection` (nil when the peer address is unknown).
    mutating func countRequest(listener: String, connection: String?) {
        var counters = traffic[listener] ?? ListenerTraffic()
        counters.requests += 1
        if let connection { counters.connections.insert(connection) }
        traffic[listener] = counters
    }

    /// Counts an answer's status on `listener`.
    mutating func countAnswer(listener: String, status: Int) {
        guard status == 429 else { return }
        traffic[listener, default: ListenerTraffic()].tooManyRequests += 1
    }

    /// `{listener: {requests, too_many_requests, connections}}` for every listener, served or not.
    func trafficJSON() -> JSON {
        let names = [World.controlPlane] + clusterOrder
        return .object(names.map { ($0, (traffic[$0] ?? ListenerTraffic()).json) })
    }
}
