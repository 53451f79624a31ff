/// The background step: producers append, links auto-create mirrors, mirrors copy, promotions settle, network links provision.
extension WorldState {
    mutating func tick(now: Double) {
        let elapsed = max(0, min(now - (lastTick ?? now), 5))
        lastTick = now
        runProducers(elapsed)
        autoCreateMirrors(now: now)
        replicate(elapsed, now: now)
        runConsumers(elapsed)
        syncConsumerOffsets(now: now)
        provisionNetworkLinks(now: now)
    }

    private mutating func runProducers(_ elapsed: Double) {
        guard !producersPaused else { return }
        for index in producers.indices {
            producers[index].credit += producers[index].recordsPerSecond * elapsed
            let whole = Int(producers[index].credit)
            guard whole > 0 else { continue }
            producers[index].credit -= Double(whole)
            let producer = producers[index]
            guard var topic = clusters[producer.cluster]?.topics[producer.topic] else { continue }
            if let mirror = topic.mirror, mirror.status != "STOPPED" { continue }
            for _ in 0..<whole {
                topic.endOffsets[topic.produceCursor % topic.endOffsets.count] += 1
                topic.produceCursor += 1
            }
            clusters[producer.cluster]!.topics[producer.topic] = topic
        }
    }

    /// Records per second per partition for mirrors of `linkName`.
    private func replicationRate(linkName: String) -> Double {
        var rate = timing.replicationRecordsPerSecond
        if let global = faults.replicationThrottle { rate = min(rate, global) }
        if let perLink = faults.linkThrottles[linkName] { rate = min(rate, perLink) }
        return max(0, rate)
    }

    private mutating func replicate(_ elapsed: Double, now: Double) {
        // Cache link health per (cluster, link) for this tick: evaluating it is the costly part.
        var healthCache: [String: LinkHealth] = [:]
        for clusterID in clusterOrder {
            let mirrored = clusters[clusterID]!.topics.values.filter {
                guard let mirror = $0.mirror else { return false }
                return mirror.status == "ACTIVE" || mirror.status == "PENDING_STOPPED"
            }
            for topic in mirrored {
                let mirror = topic.mirror!
                guard let source = sourceCluster(ofLink: mirror.linkName, on: clusterID),
                    let sourceTopic = source.topics[mirror.sourceTopic]
                else { continue }
                // A caught-up mirror of a topic that did not grow has nothing to copy whatever the link's health
                // and privileges: it is left as it is, before those are evaluated (in a large world most mirrors
                // are caught up, and the READ check scans the source cluster's ACLs: per mirror and per tick,
                // that was what made the tick cost grow with mirrors × ACLs).
                if mirror.status == "ACTIVE", sourceTopic.endOffsets == topic.endOffsets,
                    mirror.credit.allSatisfy({ $0 == 0 })
                {
                    continue
                }
                let cacheKey = clusterID + "/" + mirror.linkName
                let health =
                    healthCache[cacheKey]
                    ?? linkHealth(clusterID: clusterID, name: mirror.linkName, now: now)
                healthCache[cacheKey] = health
                guard health.isActive, linkMayRead(health, sourceClusterID: source.id, topic: mirror.sourceTopic)
                else { continue }
                var updated = topic
                if sourceTopic.endOffsets.count > updated.endOffsets.count {
                    let added = sourceTopic.endOffsets.count - updated.endOffsets.count
                    updated.endOffsets += Array(repeating: 0, count: added)
                    updated.mirror!.credit += Array(repeating: 0, count: added)
                }
                let rate = replicationRate(linkName: mirror.linkName)
                var caughtUp = true
                for partition in updated.endOffsets.indices {
                    let lag = sourceTopic.endOffsets[partition] - updated.endOffsets[partition]
                    guard lag > 0 else {
                        updated.mirror!.credit[partition] = 0
                        continue
                    }
                    updated.mirror!.credit[partition] += rate * elapsed
                    let copy = min(lag, Int64(updated.mirror!.credit[partition]))
                    updated.mirror!.credit[partition] -= Double(copy)
                    copyRecords(
                        from: sourceTopic, into: &updated, partition: partition,
                        range: updated.endOffsets[partition]..<(updated.endOffsets[partition] + copy),
                        shift: Int64(faults.offsetShifts[mirror.linkName] ?? 0))
                    updated.endOffsets[partition] += copy
                    if copy < lag { caughtUp = false }
                }
                if mirror.status == "PENDING_STOPPED", caughtUp {
                    updated.mirror!.status = "STOPPED"
                    updated.mirror!.stateTimeMs = epochMs(now)
                }
                clusters[clusterID]!.topics[topic.name] = updated
            }
        }
    }

    /// Copies the stored record values of source offsets `range` into `mirror`, `shift` offsets later.
    private func copyRecords(
        from source: TopicState, into mirror: inout TopicState, partition: Int, range: Range<Int64>, shift: Int64
    ) {
        guard let stored = source.records[partition] else { return }
        for (offset, value) in stored where range.contains(offset) {
            mirror.records[partition, default: [:]][offset + shift] = value
        }
    }

    private mutating func provisionNetworkLinks(now: Double) {
        let settled = faults.networkLinkFailurePhase ?? "READY"
        for id in serviceOrder where services[id]?.phase == "PROVISIONING" && now >= services[id]!.readyAt {
            services[id]!.phase = settled
        }
        for id in endpointOrder where endpoints[id]?.phase == "PROVISIONING" && now >= endpoints[id]!.readyAt {
            let endpoint = endpoints[id]!
            if settled != "READY" {
                endpoints[id]!.phase = settled
            } else if let service = services[endpoint.service], service.phase == "READY" {
                let environment = networks[endpoint.network]?.environment ?? endpoint.environment
                let accepted =
                    service.acceptNetworks.contains(endpoint.network)
                    || service.acceptEnvironments.contains(environment)
                    || service.acceptEnvironments.contains(endpoint.environment)
                endpoints[id]!.phase = accepted ? "READY" : "PENDING_ACCEPT"
            }
        }
        for id in endpointOrder where endpoints[id]?.phase == "PENDING_ACCEPT" {
            let endpoint = endpoints[id]!
            if let service = services[endpoint.service], service.phase == "READY",
                service.acceptNetworks.contains(endpoint.network)
                    || service.acceptEnvironments.contains(endpoint.environment)
            {
                endpoints[id]!.phase = "READY"
            }
        }
    }
}
