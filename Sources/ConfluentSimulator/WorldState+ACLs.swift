import Foundation
import JumpchainJSON

/// Kafka REST v3 ACL endpoints: create, batch create, list with filters, delete with filters.
extension WorldState {
    static let aclResourceTypes: Set<String> = [
        "UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN",
    ]
    static let aclPatternTypes: Set<String> = ["UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"]
    static let aclOperations: Set<String> = [
        "UNKNOWN", "ANY", "ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION",
        "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE",
    ]
    static let aclPermissions: Set<String> = ["UNKNOWN", "ANY", "DENY", "ALLOW"]

    mutating func handleACLs(_ call: ClusterCall, _ rest: [String]) -> SimResponse {
        let method = call.request.method
        let manage = method != "GET"
        guard
            authorized(
                call.principal, cluster: call.clusterID, manage ? "ALTER" : "DESCRIBE", "CLUSTER", "kafka-cluster")
        else { return ClusterCall.unauthorized }
        switch (method, rest.first, rest.count) {
        case ("POST", "acls:batch"?, 1):
            guard let items = call.request.json?["data"]?.arrayValue else {
                return .kafka(400, 400, "Request body must be {\"data\": [...]}")
            }
            var parsed: [ACLEntry] = []
            for item in items {
                switch Self.parseACL(item) {
                case .success(let acl): parsed.append(acl)
                case .failure(let response): return response.response
                }
            }
            var seen: Set<ACLEntry> = []
            let added = parsed.filter { !clusters[call.clusterID]!.acls.contains($0) && seen.insert($0).inserted }
            if let refusal = aclLimitRefusal(cluster: call.clusterID, adding: added.count) { return refusal }
            for acl in added { clusters[call.clusterID]!.acls.insert(acl) }
            return .empty(201)
        case ("POST", "acls"?, 1):
            guard let body = call.request.json else { return .kafka(400, 400, "Request body is not valid JSON") }
            switch Self.parseACL(body) {
            case .success(let acl):
                if !clusters[call.clusterID]!.acls.contains(acl) {
                    if let refusal = aclLimitRefusal(cluster: call.clusterID, adding: 1) { return refusal }
                    clusters[call.clusterID]!.acls.insert(acl)
                }
                return .empty(201)
            case .failure(let response): return response.response
            }
        case ("GET", "acls"?, 1):
            let filter = ACLFilter(call.request)
            let data = clusters[call.clusterID]!.acls.filter(filter.matches).map { aclJSON(call, $0) }
            return .json(
                200, ClusterCall.collection(kind: "KafkaAclList", selfURL: call.clusterPath + "/acls", data: data))
        case ("DELETE", "acls"?, 1):
            for name in ["resource_type", "pattern_type", "operation", "permission"] {
                let value = call.request.queryValue(name)
                guard let value, value != "UNKNOWN" else {
                    return .kafka(400, 40002, "Query parameter '\(name)' is required and must not be UNKNOWN.")
                }
            }
            let filter = ACLFilter(call.request)
            let deleted = clusters[call.clusterID]!.acls.removeAll(where: filter.matches)
            return .json(
                200,
                ClusterCall.collection(
                    kind: "KafkaAclList", selfURL: call.clusterPath + "/acls",
                    data: deleted.map { aclJSON(call, $0) }))
        default:
            return .kafka(405, 405, "HTTP 405 Method Not Allowed")
        }
    }

    static func parseACL(_ body: JSON) -> Result<ACLEntry, Refusal> {
        var fields: [String: String] = [:]
        for name in ["resource_type", "resource_name", "pattern_type", "principal", "host", "operation", "permission"] {
            guard let value = body[name]?.stringValue else {
                return .failure(Refusal(response: .kafka(400, 400, "Field '\(name)' is required.")))
            }
            fields[name] = value
        }
        let acl = ACLEntry(
            resourceType: fields["resource_type"]!, resourceName: fields["resource_name"]!,
            patternType: fields["pattern_type"]!, principal: fields["principal"]!, host: fields["host"]!,
            operation: fields["operation"]!, permission: fields["permission"]!)
        let concrete: [(String, Set<String>)] = [
            (acl.resourceType, aclResourceTypes), (acl.patternType, aclPatternTypes),
            (acl.operation, aclOperations), (acl.permission, aclPermissions),
        ]
        for (value, allowed) in concrete where !allowed.contains(value) || ["ANY", "UNKNOWN", "MATCH"].contains(value) {
            return .failure(Refusal(response: .kafka(400, 40002, "Invalid ACL value '\(value)'.")))
        }
        if acl.resourceType == "CLUSTER", acl.resourceName != "kafka-cluster" {
            return .failure(
                Refusal(
                    response: .kafka(400, 40002, "The only valid name for the CLUSTER resource is kafka-cluster")))
        }
        guard acl.principal.hasPrefix("User:") || acl.principal.hasPrefix("UserV2:") else {
            return .failure(Refusal(response: .kafka(400, 40002, "Could not parse principal '\(acl.principal)'.")))
        }
        return .success(acl)
    }

    func aclJSON(_ call: ClusterCall, _ acl: ACLEntry) -> JSON {
        let query = [
            ("resource_type", acl.resourceType), ("resource_name", acl.resourceName),
            ("pattern_type", acl.patternType), ("principal", acl.principal), ("host", acl.host),
            ("operation", acl.operation), ("permission", acl.permission),
        ].map { "\($0.0)=\(percentEncode($0.1))" }.joined(separator: "&")
        return [
            "kind": "KafkaAcl",
            "metadata": ["self": .string(call.clusterPath + "/acls?" + query)],
            "cluster_id": .string(call.clusterID),
            "resource_type": .string(acl.resourceType), "resource_name": .string(acl.resourceName),
            "pattern_type": .string(acl.patternType), "principal": .string(acl.principal),
            "host": .string(acl.host), "operation": .string(acl.operation), "permission": .string(acl.permission),
        ]
    }
}

/// Query-parameter filter over ACLs; absent, `ANY` (and `MATCH` for patterns) match everything.
struct ACLFilter {
    var values: [String: String] = [:]

    init(_ request: SimRequest) {
        for name in ["resource_type", "resource_name", "pattern_type", "principal", "host", "operation", "permission"] {
            if let value = request.queryValue(name) { values[name] = value }
        }
    }

    func matches(_ acl: ACLEntry) -> Bool {
        func ok(_ name: String, _ actual: String) -> Bool {
            guard let wanted = values[name], wanted != "ANY", wanted != "MATCH" else { return true }
            return wanted == actual
        }
        return ok("resource_type", acl.resourceType) && ok("resource_name", acl.resourceName)
            && ok("pattern_type", acl.patternType) && ok("principal", acl.principal) && ok("host", acl.host)
            && ok("operation", acl.operation) && ok("permission", acl.permission)
    }
}

/// RFC 3986 unreserved characters pass; everything else is %-encoded.
func percentEncode(_ value: String) -> String {
    var out = ""
    for byte in value.utf8 {
        let char = Character(Unicode.Scalar(byte))
        if char.isASCII && (char.isLetter || char.isNumber || "-._~".contains(char)) {
            out.append(char)
        } else {
            out += String(format: "%%%02X", byte)
        }
    }
    return out
}
