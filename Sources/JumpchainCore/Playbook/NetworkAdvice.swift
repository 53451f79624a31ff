import Yams

/// Semantic checks across clusters: the jump pattern is for a private origin and a private target that
/// cannot reach each other, through a public jump. Where the networks say a direct link would do, warn
/// with the reason (Confluent's "Supported cluster combinations" for private networking).
struct NetworkAdvice {
    let reader: YAMLReader
    let fields: Fields

    func check(_ playbook: Playbook) {
        let clusters = [playbook.origin, playbook.jump, playbook.target]
        for (index, cluster) in clusters.enumerated() {
            for other in clusters[(index + 1)...] where other.id == cluster.id {
                reader.error(
                    "`\(other.role.rawValue).id` is `\(other.id)`, the same cluster as `\(cluster.role.rawValue).id`; "
                        + "origin, jump and target must be three different clusters",
                    at: mark(other.role, "id"))
            }
        }
        if case .private(let network) = playbook.jump.network {
            reader.warning(
                "the jump is on a private network (\(network)); the pattern needs a jump with public endpoints: the "
                    + "private origin reaches it with a source-initiated link and the private target pulls from it",
                at: mark(.jump, "network"))
        }
        guard let advice = directLinkReason(playbook) else { return }
        reader.warning("a direct link would work because \(advice); the jump cluster is not needed", at: advice.mark)
    }

    private struct Reason: CustomStringConvertible {
        var description: String
        var mark: Yams.Mark?
    }

    private func directLinkReason(_ playbook: Playbook) -> Reason? {
        let origin = playbook.origin
        let target = playbook.target
        switch (origin.network, target.network) {
        case (.public, _):
            return Reason(
                description: "the origin is public: the target can create a destination-initiated link that pulls "
                    + "from a public source", mark: mark(.origin, "network"))
        case (_, .public):
            return Reason(
                description: "the target is public: a source-initiated link from the private origin to a public "
                    + "destination is supported", mark: mark(.target, "network"))
        case (.private(let a), .private(let b)):
            if let id = a.networkID, id == b.networkID {
                return Reason(
                    description: "the origin and the target are in the same Confluent Cloud network `\(id)`",
                    mark: mark(.target, "network"))
            }
            if a.cloud == .aws, b.cloud == .aws, a.kind == .privateLink, b.kind == .privateLink, !origin.isPlatform {
                return Reason(
                    description: "both clusters use AWS PrivateLink: link them with a Network Link Service and a "
                        + "Network Link Endpoint (same organization)", mark: mark(.target, "network"))
            }
            if a.cloud == .aws, b.cloud == .aws, a.kind == .transitGateway, b.kind == .transitGateway,
                !origin.isPlatform
            {
                return Reason(
                    description: "both clusters are attached to AWS Transit Gateways: peer the gateways and route "
                        + "between their CIDRs", mark: mark(.target, "network"))
            }
            if origin.isPlatform, b.kind == .peering || b.kind == .transitGateway {
                return Reason(
                    description: "a Confluent Platform origin without public endpoints can link to a Dedicated "
                        + "cluster with VPC/VNet Peering or Transit Gateway", mark: mark(.target, "network"))
            }
            return nil
        }
    }

    private func mark(_ role: PlaybookCluster.Role, _ key: String) -> Yams.Mark? {
        guard case .mapping(let mapping)? = fields[role.rawValue] else { return fields.keyMark(role.rawValue) }
        for (keyNode, value) in mapping where keyNode.string == key { return value.mark ?? keyNode.mark }
        return fields.keyMark(role.rawValue)
    }
}
