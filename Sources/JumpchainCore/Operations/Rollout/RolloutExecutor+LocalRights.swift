import ConfluentAPI
import JumpchainHTTP
import Workflow

/// With a user-supplied `origin_local_credentials`: the preflight checks, through the origin's ACL list, that
/// the key's owner has what leg 1's source half reads with, and warns when that key is a person's (likely an
/// admin's) or the very key the operator uses. Jumpchain's own origin link key gets its ACLs from
/// `acls-origin`; with `manage_acls: false` the preflight checks that its owner already holds them.
extension RolloutExecutor {
    struct LocalRights {
        var problems: [String] = []
        var warnings: [String] = []
    }

    static func previewLocalRights(_ playbook: Playbook) -> [PreviewRequest] {
        let link = playbook.link
        if link.mintsOriginKey {
            // With managed ACLs, `acls-origin` creates the owner's rights; without, they must be there already.
            guard !link.manageACLs, let principal = link.originPrincipal else { return [] }
            return [
                .kafka(
                    playbook.origin, "GET", "/acls?principal=\(principal)",
                    "(the origin link key's owner: READ, DESCRIBE on the topics; DESCRIBE on the cluster and the "
                        + "synced groups)")
            ]
        }
        guard !(link.manageACLs && link.originPrincipal != nil) else { return [] }
        var requests: [PreviewRequest] = []
        if link.originPrincipal == nil, !playbook.origin.isPlatform {
            requests.append(
                .cloud(playbook, "GET", "/iam/v2/api-keys/<origin_local_credentials key>", "(its owner)"))
        }
        requests.append(
            .kafka(
                playbook.origin, "GET", "/acls?principal=\(link.originPrincipal ?? "<its owner>")",
                "(READ, DESCRIBE on the topics; DESCRIBE on the cluster and the synced groups)"))
        return requests
    }

    /// The rights leg 1's local principal needs on the origin: READ and DESCRIBE on every mirrored topic,
    /// DESCRIBE on the cluster, DESCRIBE on the synced groups when offset sync is on.
    static func neededLocalRights(_ playbook: Playbook, topics: [String], principal: String) -> [ACLBinding] {
        var needed = [
            ACLBinding(
                resourceType: "CLUSTER", resourceName: "kafka-cluster", principal: principal, operation: "DESCRIBE")
        ]
        for topic in topics {
            for operation in ["READ", "DESCRIBE"] {
                needed.append(
                    ACLBinding(resourceType: "TOPIC", resourceName: topic, principal: principal, operation: operation))
            }
        }
        needed += playbook.offsetSyncPlan(originPrincipal: principal)?.leg1?.acls ?? []
        return needed
    }

    func localRights(checksOrigin: Bool = true) async throws -> LocalRights {
        let playbook = context.playbook
        let link = playbook.link
        var result = LocalRights()
        guard let local = context.credentials.originLocal else {
            if checksOrigin { result.problems += try await mintedKeyOwnerRights() }
            return result
        }
        if local.key == context.credentials.origin.key {
            result.warnings.append(
                "link.origin_local_credentials is the operator's own origin key \(local.key): rotating it breaks "
                    + "leg 1, and the link runs with the operator's rights; leave origin_local_credentials out so "
                    + "jumpchain mints an origin link key for the link service account")
        }
        // jumpchain creates the rights itself for a named principal (acls-origin).
        if link.manageACLs, link.originPrincipal != nil { return result }
        var principal = link.originPrincipal
        if principal == nil, !playbook.origin.isPlatform, let key = try await context.controlPlane.apiKey(local.key),
            let owner = key.spec.owner
        {
            principal = "User:\(owner.id)"
            if owner.kind == "User" || owner.id.hasPrefix("u-") {
                result.warnings.append(
                    "link.origin_local_credentials (\(local.key)) is owned by the user \(owner.id), not a service "
                        + "account: a person's key usually carries admin rights and leaves with the person; prefer "
                        + "a service account with read ACLs")
            }
        }
        guard let principal else {
            result.warnings.append(
                "cannot tell who owns link.origin_local_credentials (\(local.key)), so its rights are not checked; "
                    + "set link.origin_principal")
            return result
        }
        let present = try await context.origin.listACLs(principal: principal)
        let wildcard = try await context.origin.listACLs(principal: "User:*")
        let acls = present + wildcard
        if acls.contains(where: { Self.isAdminLike($0) }) {
            result.warnings.append(
                "\(principal) (owner of link.origin_local_credentials) holds ALL on the origin cluster: the link "
                    + "runs with admin rights; prefer a service account with READ and DESCRIBE on the topics")
        }
        let missing = Self.neededLocalRights(playbook, topics: topics, principal: principal).filter {
            !Self.grants(acls, $0)
        }
        if !missing.isEmpty {
            let listed = missing.map { "\($0.operation) on \($0.resourceType) \($0.resourceName)" }
            result.problems.append(
                "origin \(playbook.origin.id): \(principal), the owner of link.origin_local_credentials, lacks "
                    + "\(listed.joined(separator: ", ")) (leg 1's source half reads the origin with that key); grant "
                    + "them, or leave origin_local_credentials out so jumpchain mints an origin link key with them "
                    + "(only ACLs are visible here: rights from a role binding are not)")
        }
        return result
    }

    /// With `manage_acls: false` jumpchain creates no ACLs, so the owner of the origin link key it mints (the link
    /// service account, or `link.origin_service_account`) must already hold what leg 1's source half reads with.
    /// Checked before any change: the key is minted later, and would be useless without these rights.
    func mintedKeyOwnerRights() async throws -> [String] {
        let playbook = context.playbook
        let link = playbook.link
        guard link.mintsOriginKey, !link.manageACLs, let principal = link.originPrincipal else { return [] }
        let acls =
            try await context.origin.listACLs(principal: principal)
            + context.origin.listACLs(principal: "User:*")
        let missing = Self.neededLocalRights(playbook, topics: topics, principal: principal).filter {
            !Self.grants(acls, $0)
        }
        guard !missing.isEmpty else { return [] }
        let listed = missing.map {
            "\($0.operation) on \($0.resourceType) \($0.resourceName)"
                + ($0.patternType == "PREFIXED" ? " (PREFIXED)" : "")
        }
        let owner =
            link.originServiceAccount != nil ? "link.origin_service_account" : "link.service_account"
        return [
            "origin \(playbook.origin.id): \(principal) (\(owner)), the owner of the origin link key jumpchain "
                + "mints for leg 1's source half, lacks \(listed.joined(separator: ", ")) (link.manage_acls is "
                + "false, so jumpchain creates no ACLs); grant them to \(principal) on the origin, or set "
                + "link.manage_acls: true (only ACLs are visible here: rights from a role binding are not)"
        ]
    }

    static func isAdminLike(_ acl: ACLBinding) -> Bool {
        acl.permission == "ALLOW" && acl.operation == "ALL" && acl.resourceType == "CLUSTER"
    }

    /// Kafka's ACL semantics: a matching DENY wins; ALL grants everything; READ, WRITE, DELETE and ALTER imply
    /// DESCRIBE; a LITERAL `*` or a PREFIXED name matches by pattern.
    static func grants(_ acls: [ACLBinding], _ wanted: ACLBinding) -> Bool {
        let implied: Set<String> =
            switch wanted.operation {
            case "DESCRIBE": ["DESCRIBE", "ALL", "READ", "WRITE", "DELETE", "ALTER"]
            case "DESCRIBE_CONFIGS": ["DESCRIBE_CONFIGS", "ALL", "ALTER_CONFIGS"]
            default: [wanted.operation, "ALL"]
            }
        let matching = acls.filter { acl in
            guard acl.resourceType == wanted.resourceType, implied.contains(acl.operation) else { return false }
            if wanted.patternType == "PREFIXED" {
                // A prefixed need (a group prefix) is met by the same prefix or a shorter one, or a `*`.
                return acl.resourceName == "*"
                    || (acl.patternType == "PREFIXED" && wanted.resourceName.hasPrefix(acl.resourceName))
            }
            switch acl.patternType {
            case "PREFIXED": return wanted.resourceName.hasPrefix(acl.resourceName)
            default: return acl.resourceName == "*" || acl.resourceName == wanted.resourceName
            }
        }
        if matching.contains(where: { $0.permission == "DENY" }) { return false }
        return matching.contains { $0.permission == "ALLOW" }
    }
}
