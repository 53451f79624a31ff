extension SimulatorConfig {
    /// Adds `count` generated topics named `prefix00001`, `prefix00002`, … with `partitions` partitions
    /// (each holding `records` records) on `cluster`: a large world for benchmarks, without a long YAML file.
    public func addingGeneratedTopics(
        count: Int, partitions: Int = 1, records: Int = 0, on cluster: String, prefix: String = "bench-"
    ) -> SimulatorConfig {
        var config = self
        let width = max(5, String(count).count)
        for index in 1...max(1, count) where count > 0 {
            let number = String(index)
            let name = prefix + String(repeating: "0", count: width - number.count) + number
            config.topics.append(Topic(cluster: cluster, name: name, partitions: partitions, records: records))
        }
        return config
    }

    /// Limits every cluster listener (not the control plane) to `requestsPerSecond` (excess answers 429 as
    /// Confluent's Kafka REST does: an HTML page, no rate-limit headers) and, when `latencyMs` is given, delays
    /// every answer (all listeners) by that much.
    public func limitingClusters(requestsPerSecond: Double?, latencyMs: Int?) -> SimulatorConfig {
        var config = self
        if let requestsPerSecond {
            for cluster in config.clusters { config.faults.requestsPerSecond[cluster.id] = requestsPerSecond }
        }
        if let latencyMs { config.faults.latencyMs = latencyMs }
        return config
    }
}
