import SeededRandom

/// What the fault dice decided for one request, before the world handles it.
enum FaultDecision: Equatable {
    case proceed
    case drop
    case rateLimited(limit: Int, resetSeconds: Int)
    case serverError
}

extension WorldState {
    /// Rolls the dice for a request on `listener` (`control-plane` or a cluster id).
    /// Rate-limit keys are a listener (`lkc-a`) or a listener and a path prefix (`control-plane /iam/v2/api-keys`).
    mutating func decideFault(listener: String, method: String, path: String, now: Double) -> FaultDecision {
        if faults.fails(listener: listener, method: method, path: path) { return .serverError }
        for (key, limit) in faults.requestsPerSecond.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.first == listener, parts.count == 1 || path.hasPrefix(parts[1]) else { continue }
            var window = rateWindows[key] ?? (start: now, count: 0)
            if now - window.start >= 1 { window = (start: now, count: 0) }
            window.count += 1
            rateWindows[key] = window
            if Double(window.count) > limit {
                return .rateLimited(limit: Int(limit), resetSeconds: max(1, Int((window.start + 1 - now).rounded(.up))))
            }
        }
        guard faults.applies(to: listener) else { return .proceed }
        if faults.dropNext > 0 {
            faults.dropNext -= 1
            return .drop
        }
        if faults.dropConnectionRate > 0, dice.unit() < faults.dropConnectionRate { return .drop }
        if faults.rateLimitBurst > 0 {
            faults.rateLimitBurst -= 1
            return .rateLimited(limit: 0, resetSeconds: 1)
        }
        if faults.serverErrorRate > 0, dice.unit() < faults.serverErrorRate { return .serverError }
        return .proceed
    }

    func latency(listener: String) -> Int { faults.applies(to: listener) ? faults.latencyMs : 0 }
    func isBlackholed(_ listener: String) -> Bool { faults.blackholed.contains(listener) }
}
