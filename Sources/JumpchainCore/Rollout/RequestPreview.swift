public import Workflow

/// The requests each step would send, for `jumpchain plan` (credentials always masked).
public enum RequestPreview {
    public static func requests(for plan: Plan, playbook: Playbook) -> [String: [String]] {
        let origin = playbook.origin
        let jump = playbook.jump
        let target = playbook.target
        let link = playbook.link
        let masked = "<redacted>"
        func kafka(_ cluster: PlaybookCluster, _ method: String, _ path: String) -> String {
            "\(method) \(cluster.restEndpoint)/kafka/v3/clusters/\(cluster.id)\(path)"
        }
        func options(_ options: [String: String]) -> String {
            options.sorted { $0.key < $1.key }.map { ", \($0.key)=\($0.value)" }.joined()
        }
        let cloud = playbook.controlPlane.endpoint
        var result: [String: [String]] = [:]
        for step in plan.steps {
            var lines: [String] = []
            switch step.kind {
            case RolloutStep.preflight:
                lines = [
                    "GET \(cloud)/iam/v2/api-keys/<operator key> (operator principal)",
                    "GET \(cloud)/iam/v2/service-accounts/\(link.serviceAccount)",
                    kafka(origin, "GET", "/topics"), kafka(target, "GET", "/topics"),
                    kafka(origin, "GET", "/links/\(link.leg1Name)"), kafka(target, "GET", "/links/\(link.leg2Name)"),
                    "POST \(cloud)/iam/v2/api-keys {owner: <operator>, resource: \(jump.id)} (session key, revoked at exit)",
                    kafka(jump, "GET", "/links/\(link.leg1Name)"), kafka(jump, "GET", "/topics"),
                ]
            case RolloutStep.jumpACLs:
                lines = [
                    kafka(jump, "GET", "/acls?principal=User:\(link.serviceAccount)"),
                    kafka(jump, "POST", "/acls:batch")
                        + " (missing of: ALTER, DESCRIBE on CLUSTER kafka-cluster; READ, "
                        + "DESCRIBE, DESCRIBE_CONFIGS on each jump mirror topic, for User:\(link.serviceAccount))",
                ]
            case RolloutStep.originACLs:
                lines = [kafka(origin, "POST", "/acls:batch") + " (READ, DESCRIBE, DESCRIBE_CONFIGS on the topics)"]
            case RolloutStep.linkKey:
                lines = [
                    "POST \(cloud)/iam/v2/api-keys {owner: \(link.serviceAccount), resource: \(jump.id)} → the one link "
                        + "key; secret kept in memory only",
                    kafka(jump, "GET", "/topics") + " as the link key until it works (propagation)",
                ]
            case RolloutStep.leg1Destination:
                lines = [
                    kafka(jump, "POST", "/links?link_name=\(link.leg1Name)")
                        + " {source_cluster_id: \(origin.id), link.mode=DESTINATION, connection.mode=INBOUND"
                        + options(link.leg1Options) + "}"
                ]
            case RolloutStep.leg1Source:
                lines = [
                    kafka(origin, "POST", "/links?link_name=\(link.leg1Name)")
                        + " {destination_cluster_id: \(jump.id), link.mode=SOURCE, connection.mode=OUTBOUND, "
                        + "bootstrap.servers=\(jump.bootstrap), sasl.jaas.config=\(masked) (link key), "
                        + "local.sasl.jaas.config=\(masked)}"
                ]
            case RolloutStep.leg2:
                lines = [
                    kafka(target, "POST", "/links?link_name=\(link.leg2Name)")
                        + " {source_cluster_id: \(jump.id), link.mode=DESTINATION, connection.mode=OUTBOUND, "
                        + "bootstrap.servers=\(jump.bootstrap), sasl.jaas.config=\(masked) (link key)"
                        + options(link.leg2Options) + "}"
                ]
            case RolloutStep.finalizeLinkKey:
                lines = [
                    "PUT …/links/<leg>/configs:alter sasl.jaas.config=\(masked) (only for halves holding an older key)",
                    "GET \(cloud)/iam/v2/api-keys?spec.owner=\(link.serviceAccount)&spec.resource=\(jump.id); DELETE "
                        + "older link keys of this run",
                ]
            case RolloutStep.destroySecret:
                lines = ["(no request) wipe every in-memory copy of the link secret; the key stays with the links"]
            case RolloutStep.linksHealthy:
                lines = [
                    kafka(jump, "GET", "/links/\(link.leg1Name)?include_tasks=true"),
                    kafka(origin, "GET", "/links/\(link.leg1Name)?include_tasks=true"),
                    kafka(target, "GET", "/links/\(link.leg2Name)?include_tasks=true"),
                ]
            case RolloutStep.canaryTopic:
                lines = [kafka(origin, "POST", "/topics") + " {topic_name: \(step.parameters["topic"] ?? "")}"]
            case RolloutStep.mirrorJump:
                lines = [
                    kafka(jump, "POST", "/links/\(link.leg1Name)/mirrors")
                        + " {source_topic_name: \(step.parameters["source_topic"] ?? "")}"
                ]
            case RolloutStep.mirrorTarget:
                lines = [
                    kafka(target, "POST", "/links/\(link.leg2Name)/mirrors")
                        + " {source_topic_name: \(step.parameters["source_topic"] ?? "")}"
                ]
            case RolloutStep.verify:
                lines = [
                    "GET …/links/<leg>/mirrors/<topic> on jump and target (mirror_lags) until lag ≤ "
                        + "\(playbook.verify.maxLag)"
                ]
            default:
                lines = []
            }
            result[step.id] = lines
        }
        return result
    }
}
