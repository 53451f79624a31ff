/// What the fault dice decided for one request, before the world handles it.
enum FaultDecision: Equatable {
    case proceed
    case drop
    case rateLimited(limit: Int, resetSeconds: Int)
    case serverError
}

extension WorldState {
    /// Rolls the dice for a request on `listener` (`control-plane` or a cluster id).
    mutating func decideFault(listener: String, now: Double) -> FaultDecision {
        if let limit = faults.requestsPerSecond[listener] {
            var window = rateWindows[listener] ?? (start: now, count: 0)
            if now - window.start >= 1 { window = (start: now, count: 0) }
            window.count += 1
            rateWindows[listener] = window
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
