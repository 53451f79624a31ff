import ConfluentAPI
import Foundation
import Workflow

/// `apply --adopt`: the recovery path for a run whose state was lost (directory deleted, store empty or
/// corrupt). Links and mirrors that already carry the playbook's names are adopted when their shape matches
/// the playbook (remote cluster, `link.mode`, `connection.mode`, `bootstrap.servers`, mirror link and source);
/// anything else is refused with what differs. The key an adopted half holds cannot be read back (Confluent
/// returns `sasl.jaas.config` as null), so the run mints a new link key and re-points every adopted half to it,
/// then `finalize-link-key` revokes the older link keys of this run, as a resume after a lost secret does.
extension RolloutExecutor {
    /// The preflight step's parameter that turns adoption on (recorded in the plan, so a resume keeps it).
    static let adoptParameter = "adopt"

    /// Whether this run was planned with `apply --adopt`.
    var adopting: Bool { plan[RolloutStep.preflight]?.parameters[Self.adoptParameter] == "true" }

    /// One problem per existing object whose shape does not match the playbook; empty when every object that
    /// holds one of the run's names can be adopted. `adopted` lists what will be adopted.
    func adoptionProblems(jump: KafkaRESTClient) async throws -> (problems: [String], adopted: [String]) {
        let playbook = context.playbook
        var problems: [String] = []
        var adopted: [String] = []
        let halves: [(String, KafkaRESTClient, String, [String: String], String?, String?)] = [
            (
                "origin \(playbook.origin.id)", context.origin, playbook.link.leg1Name,
                ["link.mode": "SOURCE", "connection.mode": "OUTBOUND", "bootstrap.servers": playbook.jump.bootstrap],
                nil, playbook.jump.id
            ),
            (
                "jump \(playbook.jump.id)", jump, playbook.link.leg1Name,
                ["link.mode": "DESTINATION", "connection.mode": "INBOUND"], playbook.origin.id, nil
            ),
            (
                "target \(playbook.target.id)", context.target, playbook.link.leg2Name,
                [
                    "link.mode": "DESTINATION", "connection.mode": "OUTBOUND",
                    "bootstrap.servers": playbook.jump.bootstrap,
                ],
                playbook.jump.id, nil
            ),
        ]
        for (cluster, client, name, wanted, source, destination) in halves {
            guard let link = try await client.link(name) else { continue }
            var differences: [String] = []
            if let source, let actual = link.sourceClusterID, actual != source {
                differences.append("replicates from \(actual), not \(source)")
            }
            if let destination, let actual = link.destinationClusterID, actual != destination {
                differences.append("points at \(actual), not \(destination)")
            }
            let configs = try await client.linkConfigs(name)
            for (key, value) in wanted.sorted(by: { $0.key < $1.key }) {
                guard let actual = configs.first(where: { $0.name == key })?.value else { continue }
                if !Self.sameConfigValue(key, actual, value) { differences.append("\(key) is \(actual), not \(value)") }
            }
            if differences.isEmpty {
                adopted.append("link \(name) on \(cluster)")
            } else {
                problems.append(
                    "\(cluster): link \(name) does not match the playbook (\(differences.joined(separator: "; "))); "
                        + "it cannot be adopted: delete it or choose another name in link.names")
            }
        }
        for mirror in mirrors {
            for (cluster, client, link, name, source) in [
                ("jump \(playbook.jump.id)", jump, playbook.link.leg1Name, mirror.jumpMirror, mirror.origin),
                (
                    "target \(playbook.target.id)", context.target, playbook.link.leg2Name, mirror.targetMirror,
                    mirror.jumpMirror
                ),
            ] {
                guard try await client.topic(name) != nil else { continue }
                guard let existing = try await client.mirror(link: link, topic: name) else {
                    problems.append(
                        "\(cluster): topic \(name) exists but is not a mirror on link \(link); it cannot be adopted: "
                            + "delete it or set a cluster.link.prefix")
                    continue
                }
                guard existing.sourceTopicName == source else {
                    problems.append(
                        "\(cluster): mirror \(name) on link \(link) mirrors \(existing.sourceTopicName), not \(source); "
                            + "it cannot be adopted: delete it or set a cluster.link.prefix")
                    continue
                }
                adopted.append("mirror \(name) on \(cluster)")
            }
        }
        return (problems, adopted)
    }

    /// `bootstrap.servers` may carry a scheme (`SASL_SSL://host:9092`); everything else compares exactly.
    static func sameConfigValue(_ key: String, _ actual: String, _ wanted: String) -> Bool {
        guard key == "bootstrap.servers" else { return actual == wanted }
        func bare(_ value: String) -> String {
            value.split(separator: ",").map { item -> String in
                let text = String(item).trimmingCharacters(in: .whitespaces)
                guard let range = text.range(of: "://") else { return text }
                return String(text[range.upperBound...])
            }.sorted().joined(separator: ",")
        }
        return bare(actual) == bare(wanted)
    }
}
