/// The canonical content of a playbook and its hash, to detect a playbook that changed between a run
/// and its resume. The form is hand-written JSON (sorted keys, no whitespace, fixed escapes) so it does
/// not depend on a Foundation encoder's formatting; ``Playbook/sourceFile`` is excluded so moving the
/// file does not count as a change. Only references appear, never secrets.
extension Playbook {
    /// Canonical JSON of the playbook's content.
    public var canonicalJSON: String { CanonicalValue.object(canonicalFields).serialized }

    /// `fnv1a64:` and 16 hex digits of FNV-1a 64 over ``canonicalJSON``'s UTF-8 bytes.
    public var contentHash: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in canonicalJSON.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// `allow_empty` and `auto_create` appear only when set, so the hash of every playbook written before it existed is unchanged.
    private var topicsFields: [String: CanonicalValue] {
        var fields: [String: CanonicalValue] = [
            "names": .array(topics.names.map(CanonicalValue.string)),
            "patterns": .array(topics.patterns.map(CanonicalValue.string)),
            "exclude": .array(topics.exclude.map(CanonicalValue.string)),
        ]
        if topics.allowEmpty { fields["allow_empty"] = .bool(true) }
        if topics.autoCreate { fields["auto_create"] = .bool(true) }
        return fields
    }

    private var canonicalFields: [String: CanonicalValue] {
        var fields = baseCanonicalFields
        // Only when set, so playbooks without `consumer_groups` keep the hash they always had.
        if consumerGroups != .all {
            fields["consumer_groups"] = .object([
                "names": .array(consumerGroups.names.map(CanonicalValue.string)),
                "prefixes": .array(consumerGroups.prefixes.map(CanonicalValue.string)),
                "exclude": .array(consumerGroups.exclude.map(CanonicalValue.string)),
            ])
        }
        // Only when set, so single-site playbooks keep the hash they always had.
        if let sites {
            fields["sites"] = .object(
                Dictionary(
                    uniqueKeysWithValues: sites.map {
                        ($0.name, CanonicalValue.object(["reaches": .array($0.reaches.map { .string($0.rawValue) })]))
                    }))
        }
        if let owner = link.originServiceAccount, case .object(var linkFields) = fields["link"] {
            linkFields["origin_service_account"] = .string(owner)
            fields["link"] = .object(linkFields)
        }
        return fields
    }

    private var baseCanonicalFields: [String: CanonicalValue] {
        [
            "version": .int(1),
            "run_name": .string(runName),
            "control_plane": .object([
                "endpoint": .string(controlPlane.endpoint), "credentials": controlPlane.credentials.canonical,
            ]),
            "origin": origin.canonical, "jump": jump.canonical, "target": target.canonical,
            "link": .object([
                "service_account": .string(link.serviceAccount),
                "names": .object(["leg1": .string(link.leg1Name), "leg2": .string(link.leg2Name)]),
                "origin_local_credentials": link.originLocalCredentials?.canonical ?? .null,
                "manage_acls": .bool(link.manageACLs),
                "origin_principal": link.originPrincipal.map(CanonicalValue.string) ?? .null,
                "leg1_options": .object(link.leg1Options.mapValues(CanonicalValue.string)),
                "leg2_options": .object(link.leg2Options.mapValues(CanonicalValue.string)),
            ]),
            "topics": .object(topicsFields),
            "verify": .object(verifyCanonical),
            "concurrency": .object(["per_cluster": .int(concurrency.perCluster)]),
        ]
    }
}

extension PlaybookCluster {
    fileprivate var canonical: CanonicalValue {
        var network: CanonicalValue = .string("public")
        if case .private(let value) = self.network {
            network = .object([
                "kind": value.kind.map { .string($0.rawValue) } ?? .null,
                "cloud": value.cloud.map { .string($0.rawValue) } ?? .null,
                "region": value.region.map(CanonicalValue.string) ?? .null,
                "network_id": value.networkID.map(CanonicalValue.string) ?? .null,
            ])
        }
        var fields: [String: CanonicalValue] = [
            "id": .string(id), "platform": .bool(isPlatform), "rest_endpoint": .string(restEndpoint),
            "bootstrap": .string(bootstrap), "environment": environment.map(CanonicalValue.string) ?? .null,
            "network": network, "credentials": credentials?.canonical ?? .null,
        ]
        // Only when set, so playbooks without `acl_limit` keep the hash they always had.
        if let aclLimit { fields["acl_limit"] = .int(aclLimit) }
        return .object(fields)
    }
}

extension CredentialReference {
    fileprivate var canonical: CanonicalValue {
        .object(["key": .string(key.description), "secret": .string(secret.canonical)])
    }
}

extension SecretReference {
    fileprivate var canonical: String {
        switch self {
        case .stdin(let label): "stdin:\(label)"
        default: description
        }
    }
}

/// A JSON value with one fixed serialisation.
enum CanonicalValue {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([CanonicalValue])
    case object([String: CanonicalValue])

    var serialized: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .int(let value): output += String(value)
        case .string(let value): Self.writeString(value, to: &output)
        case .array(let values):
            output += "["
            for (index, value) in values.enumerated() {
                if index > 0 { output += "," }
                value.write(to: &output)
            }
            output += "]"
        case .object(let fields):
            output += "{"
            // Sort by UTF-8 bytes, not by locale or Unicode collation, so every platform agrees.
            for (index, key) in fields.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
                .enumerated()
            {
                if index > 0 { output += "," }
                Self.writeString(key, to: &output)
                output += ":"
                fields[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        output += "\""
    }

}

extension Playbook {
    /// `verify:`; `max_group_lag` only when given, so that playbooks without it keep their hash.
    private var verifyCanonical: [String: CanonicalValue] {
        var fields: [String: CanonicalValue] = [
            "max_lag": .int(verify.maxLag),
            "timeout_ms": .int(
                Int(
                    verify.timeout.components.seconds * 1000 + verify.timeout.components.attoseconds
                        / 1_000_000_000_000_000)),
            "canary": .bool(verify.canary),
            "canary_topic": .string(verify.canaryTopic),
        ]
        if let maxGroupLag = verify.maxGroupLag { fields["max_group_lag"] = .int(maxGroupLag) }
        return fields
    }
}
