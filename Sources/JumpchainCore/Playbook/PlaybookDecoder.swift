import Foundation
import Yams

/// Turns a composed YAML document into a ``Playbook``, collecting every diagnostic on the way.
/// Returns nil when any error was reported.
struct PlaybookDecoder {
    let reader: YAMLReader
    /// The playbook's directory: relative `file:` and `options_file` paths are resolved against it.
    let baseDirectory: String
    let defaultRunName: String
    /// Whether `http://` endpoints on non-loopback hosts are accepted (`--allow-insecure-http`).
    var allowInsecureHTTP = false

    static let rootKeys = [
        "version", "run_name", "control_plane", "origin", "jump", "target", "link", "topics", "consumer_groups",
        "verify",
        "concurrency", "sites",
    ]
    static let clusterKeys = [
        "id", "platform", "rest_endpoint", "bootstrap", "environment", "network", "credentials", "acl_limit",
    ]
    /// `acl_limit:`'s range: Confluent's documented limits run from 1,000 (Basic, Standard) to 10,000 (Dedicated);
    /// a raised quota may be higher.
    static let aclLimitRange = 1...1_000_000
    static let networkKeys = ["kind", "cloud", "region", "network_id"]
    static let credentialKeys = ["key", "secret"]
    static let controlPlaneKeys = ["endpoint", "credentials"]
    static let linkKeys = [
        "service_account", "names", "origin_local_credentials", "origin_service_account", "manage_acls",
        "origin_principal", "options", "leg1_options", "leg2_options", "options_file",
    ]
    static let topicKeys = ["names", "patterns", "exclude", "allow_empty", "auto_create"]
    static let verifyKeys = ["max_lag", "max_group_lag", "timeout", "canary", "canary_topic"]

    func decode(_ root: Node) -> Playbook? {
        guard let fields = reader.mapping(root, field: "", known: Self.rootKeys, keyMark: root.mark) else {
            if YAMLReader.isNull(root) { reader.error("the playbook is empty", at: root.mark) }
            return nil
        }
        if let text = reader.string(fields["version"], field: "version"), text.value != "1" {
            reader.error("`version` must be 1, the only playbook format so far, found \(text.shown)", at: text.mark)
        }
        let runName = decodeRunName(fields)
        let controlPlane = decodeControlPlane(fields)
        let origin = decodeCluster(.origin, fields)
        let jump = decodeCluster(.jump, fields)
        let target = decodeCluster(.target, fields)
        let link = decodeLink(fields)
        let topics = decodeTopics(fields)
        let consumerGroups = decodeConsumerGroups(fields, link: link)
        let verify = decodeVerify(fields)
        let concurrency = decodeConcurrency(fields)
        let sites = decodeSites(fields, origin: origin, target: target)
        guard let sites, let controlPlane, let origin, let jump, let target, let link, let topics, let verify,
            let concurrency,
            let runName, let consumerGroups
        else { return nil }
        if origin.isPlatform, link.mintsOriginKey {
            reader.error(
                "a Confluent Platform origin has no Cloud API keys for jumpchain to mint the origin link key: give "
                    + "`link.origin_local_credentials` (a principal with READ and DESCRIBE on the topics)",
                at: fields.keyMark("link") ?? fields.mark)
            return nil
        }
        let playbook = Playbook(
            runName: runName, sourceFile: reader.file, controlPlane: controlPlane, origin: origin, jump: jump,
            target: target, link: link, topics: topics, verify: verify, concurrency: concurrency,
            consumerGroups: consumerGroups, sites: sites)
        if topics.autoCreate {
            for (leg, options) in [("leg 1", link.leg1Options), ("leg 2", link.leg2Options)] {
                for name in options.keys.sorted() where name.hasPrefix("auto.create.mirror.topics.") {
                    reader.error(
                        "`topics.auto_create` and the link option `\(name)` (\(leg)) both configure auto-created "
                            + "mirrors; keep `topics.auto_create` (jumpchain builds both legs' filters from `topics`) "
                            + "and remove the option",
                        at: fields.keyMark("topics"))
                }
            }
        }
        NetworkAdvice(reader: reader, fields: fields).check(playbook)
        return reader.diagnostics.containsErrors ? nil : playbook
    }

    // MARK: - Sections

    private func decodeRunName(_ fields: Fields) -> String? {
        guard let text = reader.string(fields["run_name"], field: "run_name") else {
            return sanitizedRunName(defaultRunName)
        }
        guard PlaybookSyntax.isTopicName(text.value) else {
            reader.error(
                "`run_name` may contain only letters, digits, `.`, `_` and `-`, found \(text.shown)", at: text.mark)
            return nil
        }
        return text.value
    }

    private func sanitizedRunName(_ name: String) -> String {
        let scalars = name.unicodeScalars.map {
            PlaybookSyntax.isAlphanumeric($0) || $0 == "." || $0 == "_" || $0 == "-" ? Character($0) : "-"
        }
        return scalars.isEmpty ? "playbook" : String(scalars)
    }

    private func decodeControlPlane(_ root: Fields) -> Playbook.ControlPlane? {
        guard let node = root["control_plane"], !YAMLReader.isNull(node) else {
            reader.missing(
                "control_plane", in: root, expected: "`credentials` (a Cloud API key) and optionally `endpoint`")
            return nil
        }
        guard
            let fields = reader.mapping(
                node, field: "control_plane", known: Self.controlPlaneKeys, keyMark: root.keyMark("control_plane"))
        else { return nil }
        var endpoint = "https://api.confluent.cloud"
        var ok = true
        if let text = reader.string(fields["endpoint"], field: "control_plane.endpoint") {
            if let url = checkURL(text, field: "control_plane.endpoint") { endpoint = url } else { ok = false }
        } else if fields["endpoint"] != nil, !YAMLReader.isNull(fields["endpoint"]!) {
            ok = false
        }
        guard let credentials = decodeCredentials(fields, key: "credentials", required: true) else { return nil }
        return ok ? Playbook.ControlPlane(endpoint: endpoint, credentials: credentials) : nil
    }

    private func decodeCluster(_ role: PlaybookCluster.Role, _ root: Fields) -> PlaybookCluster? {
        let name = role.rawValue
        guard root[name] != nil, !YAMLReader.isNull(root[name]!) else {
            reader.missing(
                name, in: root,
                expected: "a cluster with `id`, `rest_endpoint`, `bootstrap`, `environment` and `network`")
            return nil
        }
        guard let fields = reader.mapping(root[name], field: name, known: Self.clusterKeys, keyMark: root.keyMark(name))
        else { return nil }
        var ok = true
        var isPlatform = false
        if let node = fields["platform"] {
            if let value = reader.bool(node, field: "\(name).platform") {
                isPlatform = value
                if value, role != .origin {
                    reader.error(
                        "`\(name).platform` must be false: only the origin may be a Confluent Platform cluster; the "
                            + "jump and the target are Confluent Cloud clusters", at: node.mark)
                    ok = false
                }
            } else {
                ok = false
            }
        }
        let idExpected = isPlatform ? "a cluster id" : "a Confluent Cloud cluster id `lkc-…`"
        let id = required(fields, "id", expected: idExpected) { Self.clusterIDProblem($0, $1, isPlatform: isPlatform) }
        let restText = fields["rest_endpoint"].flatMap { reader.string($0, field: "\(name).rest_endpoint") }
        var rest: String?
        if let restText {
            rest = checkURL(restText, field: "\(name).rest_endpoint")
        } else if fields["rest_endpoint"] == nil || YAMLReader.isNull(fields["rest_endpoint"]!) {
            reader.missing(
                "rest_endpoint", in: fields, expected: "the Kafka REST URL, like `https://pkc-….confluent.cloud:443`")
        }
        let bootstrap = required(fields, "bootstrap", expected: "`host:port`") { text, field in
            PlaybookSyntax.isBootstrap(text.value)
                ? nil
                : "`\(field)` must be `host:port` (like `pkc-abc.us-east-1.aws.confluent.cloud:9092`), found \(text.shown)"
        }
        var environment: String?
        if isPlatform {
            environment = optional(fields, "environment") { text, field in
                PlaybookSyntax.isConfluentID(text.value, prefix: "env")
                    ? nil : "`\(field)` must be an environment id like `env-abc123`, found \(text.shown)"
            }
        } else {
            environment = required(fields, "environment", expected: "an environment id `env-…`") { text, field in
                PlaybookSyntax.isConfluentID(text.value, prefix: "env")
                    ? nil : "`\(field)` must be an environment id like `env-abc123`, found \(text.shown)"
            }
            if environment == nil { ok = false }
        }
        let network = decodeNetwork(fields, isPlatform: isPlatform)
        var credentials: CredentialReference?
        if role == .jump {
            if fields["credentials"] != nil {
                credentials = decodeCredentials(fields, key: "credentials", required: false)
                if credentials == nil { ok = false }
            }
        } else {
            credentials = decodeCredentials(fields, key: "credentials", required: true)
            if credentials == nil { ok = false }
        }
        var aclLimit: Int?
        if let node = fields["acl_limit"], !YAMLReader.isNull(node) {
            if role == .target {
                reader.error(
                    "`target.acl_limit`: jumpchain grants no ACLs on the target, so it has no ACL budget; remove it "
                        + "(`origin.acl_limit` and `jump.acl_limit` set the limit where the run grants ACLs)",
                    at: node.mark)
                ok = false
            } else {
                aclLimit = reader.int(node, field: "\(name).acl_limit", range: Self.aclLimitRange)
                if aclLimit == nil { ok = false }
            }
        }
        guard ok, let id, let rest, let bootstrap, let network else { return nil }
        return PlaybookCluster(
            role: role, id: id, isPlatform: isPlatform, restEndpoint: rest, bootstrap: bootstrap,
            environment: environment, network: network, credentials: credentials, aclLimit: aclLimit)
    }

    private static func clusterIDProblem(_ text: YAMLReader.Text, _ field: String, isPlatform: Bool) -> String? {
        if isPlatform {
            return PlaybookSyntax.isPlatformID(text.value)
                ? nil
                : "`\(field)` must be a Confluent Platform cluster id (letters, digits, `_`, `-`), found \(text.shown)"
        }
        guard !PlaybookSyntax.isConfluentID(text.value, prefix: "lkc") else { return nil }
        let hint =
            PlaybookSyntax.isPlatformID(text.value) ? " (set `platform: true` for a Confluent Platform origin)" : ""
        return "`\(field)` must be a Confluent Cloud cluster id like `lkc-abc123`, found \(text.shown)\(hint)"
    }

    private func decodeNetwork(_ cluster: Fields, isPlatform: Bool) -> ClusterNetwork? {
        let field = cluster.path("network")
        guard let node = cluster["network"], !YAMLReader.isNull(node) else {
            reader.missing(
                "network", in: cluster,
                expected: "`public`, or a mapping with `kind`, `cloud`, `region` and `network_id`")
            return nil
        }
        if case .scalar = node {
            guard let text = reader.string(node, field: field) else { return nil }
            if text.value == "public" { return .public }
            if text.value == "private", isPlatform {
                return .private(PrivateNetwork(kind: nil, cloud: nil, region: nil, networkID: nil))
            }
            reader.error(
                "`\(field)` must be `public` or a mapping `{kind: PRIVATE_LINK|PEERING|TRANSIT_GATEWAY, cloud: "
                    + "AWS|AZURE|GCP, region: …, network_id: n-…}`, found \(text.shown)", at: text.mark)
            return nil
        }
        guard
            let fields = reader.mapping(
                node, field: field, known: Self.networkKeys, keyMark: cluster.keyMark("network"))
        else { return nil }
        var ok = true
        func enumValue<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type) -> E?
        where E.RawValue == String {
            let allowed = E.allCases.map(\.rawValue)
            let value =
                isPlatform
                ? optional(fields, key) { text, path in
                    allowed.contains(text.value)
                        ? nil : "`\(path)` must be one of \(allowed.joined(separator: ", ")), found \(text.shown)"
                }
                : required(fields, key, expected: "one of \(allowed.joined(separator: ", "))") { text, path in
                    allowed.contains(text.value)
                        ? nil : "`\(path)` must be one of \(allowed.joined(separator: ", ")), found \(text.shown)"
                }
            if value == nil, !isPlatform || fields[key] != nil { ok = false }
            return value.flatMap(E.init(rawValue:))
        }
        let kind = enumValue("kind", PrivateNetwork.Kind.self)
        let cloud = enumValue("cloud", PrivateNetwork.Cloud.self)
        let regionCheck: (YAMLReader.Text, String) -> String? = { text, path in
            text.value.unicodeScalars.allSatisfy { PlaybookSyntax.isAlphanumeric($0) || $0 == "-" }
                && !text.value.isEmpty
                ? nil
                : "`\(path)` must be a cloud region like `us-east-1`, `westeurope` or `europe-west3`, found \(text.shown)"
        }
        let idCheck: (YAMLReader.Text, String) -> String? = { text, path in
            PlaybookSyntax.isConfluentID(text.value, prefix: "n")
                ? nil : "`\(path)` must be a Confluent network id like `n-abc123`, found \(text.shown)"
        }
        let region =
            isPlatform
            ? optional(fields, "region", regionCheck)
            : required(fields, "region", expected: "a cloud region", regionCheck)
        let networkID =
            isPlatform
            ? optional(fields, "network_id", idCheck)
            : required(fields, "network_id", expected: "a network id `n-…`", idCheck)
        if (region == nil && (!isPlatform || fields["region"] != nil))
            || (networkID == nil && (!isPlatform || fields["network_id"] != nil))
        {
            ok = false
        }
        guard ok else { return nil }
        return .private(PrivateNetwork(kind: kind, cloud: cloud, region: region, networkID: networkID))
    }

    func decodeCredentials(_ parent: Fields, key: String, required isRequired: Bool) -> CredentialReference? {
        let field = parent.path(key)
        guard let node = parent[key], !YAMLReader.isNull(node) else {
            if isRequired {
                reader.missing(key, in: parent, expected: "`{ key: …, secret: env:VAR | file:PATH | stdin }`")
            }
            return nil
        }
        guard let fields = reader.mapping(node, field: field, known: Self.credentialKeys, keyMark: parent.keyMark(key))
        else { return nil }
        var keyReference: CredentialReference.Key?
        if let text = reader.string(fields["key"], field: "\(field).key") {
            if let reference = SecretReferenceParser(reader: reader, baseDirectory: baseDirectory).parse(
                text, field: "\(field).key", isSecretField: false)
            {
                keyReference = reference
            }
        } else if fields["key"] == nil || YAMLReader.isNull(fields["key"]!) {
            reader.missing(
                "key", in: fields, expected: "the API key id (literal, or `env:VAR` / `file:PATH` / `stdin`)")
        }
        var secret: SecretReference?
        if let text = reader.string(fields["secret"], field: "\(field).secret") {
            if case .reference(let reference) = SecretReferenceParser(reader: reader, baseDirectory: baseDirectory)
                .parse(
                    text, field: "\(field).secret", isSecretField: true)
            {
                secret = reference
            }
        } else if fields["secret"] == nil || YAMLReader.isNull(fields["secret"]!) {
            reader.missing(
                "secret", in: fields, expected: "a secret reference: `env:VAR`, `file:PATH` (mode 0600) or `stdin`")
        }
        guard let keyReference, let secret else { return nil }
        return CredentialReference(key: keyReference, secret: secret, field: field)
    }

    private func decodeTopics(_ root: Fields) -> TopicSelection? {
        guard
            let fields = reader.mapping(
                root["topics"], field: "topics", known: Self.topicKeys, keyMark: root.keyMark("topics"))
        else {
            if root["topics"] == nil || YAMLReader.isNull(root["topics"]!) {
                reader.missing("topics", in: root, expected: "`names: [...]` and/or `patterns: [...]`")
            }
            return nil
        }
        var ok = true
        var names: [String] = []
        var seen: Set<String> = []
        var listed = reader.list(fields["names"], field: "topics.names") ?? []
        if listed.count > PlaybookLimits.maxTopicNames {
            reader.error(
                "`topics.names` lists \(listed.count) topics; the limit is \(PlaybookLimits.maxTopicNames): select "
                    + "larger sets with `topics.patterns` (and `topics.exclude`)", at: fields["names"]?.mark)
            listed = []
            ok = false
        }
        for (index, node) in listed.enumerated() {
            let field = "topics.names[\(index)]"
            guard let text = reader.string(node, field: field) else {
                if YAMLReader.isNull(node) { reader.error("`\(field)` is empty", at: node.mark) }
                ok = false
                continue
            }
            guard PlaybookSyntax.isTopicName(text.value) else {
                reader.error(
                    "`\(field)` is not a valid topic name (letters, digits, `.`, `_`, `-`; at most 249), found \(text.shown)",
                    at: text.mark)
                ok = false
                continue
            }
            if !seen.insert(text.value).inserted {
                reader.warning("topic `\(text.value)` is listed twice in `topics.names`", at: text.mark)
                continue
            }
            names.append(text.value)
        }
        let patterns = decodePatterns(fields, "patterns", ok: &ok)
        let exclude = decodePatterns(fields, "exclude", ok: &ok)
        var allowEmpty = false
        if let node = fields["allow_empty"], !YAMLReader.isNull(node) {
            if let value = reader.bool(node, field: "topics.allow_empty") { allowEmpty = value } else { ok = false }
        }
        var autoCreate = false
        if let node = fields["auto_create"], !YAMLReader.isNull(node) {
            if let value = reader.bool(node, field: "topics.auto_create") { autoCreate = value } else { ok = false }
        }
        if names.isEmpty, patterns.isEmpty, ok {
            reader.error("`topics` selects nothing: give `names: [...]` and/or `patterns: [...]`", at: fields.mark)
            ok = false
        }
        if autoCreate, ok {
            ok = checkAutoCreateFilters(fields)
        }
        return ok
            ? TopicSelection(
                names: names, patterns: patterns, exclude: exclude, allowEmpty: allowEmpty, autoCreate: autoCreate)
            : nil
    }

    /// With `topics.auto_create`, every pattern and exclusion must be a topic filter: a whole name or a prefix.
    private func checkAutoCreateFilters(_ fields: Fields) -> Bool {
        var ok = true
        for key in ["patterns", "exclude"] {
            for (index, node) in (reader.list(fields[key], field: "topics.\(key)") ?? []).enumerated() {
                guard let text = reader.string(node, field: "topics.\(key)[\(index)]") else { continue }
                guard case .refused(let reason, let suggestion) = TopicFilter.translate(text.value) else { continue }
                let instead =
                    suggestion.map { "write `\($0)` instead" }
                    ?? "write a whole name (dots escaped, `orders\\.eu`) or a prefix followed by `.*` "
                    + "(`orders\\..*`), or list the names in `topics.names`"
                reader.error(
                    "`topics.\(key)[\(index)]` \(text.shown) cannot be an auto-create filter (`topics.auto_create: "
                        + "true` turns patterns into Confluent's LITERAL or PREFIXED topic filters): \(reason); "
                        + instead,
                    at: text.mark)
                ok = false
            }
        }
        return ok
    }

    private func decodePatterns(_ fields: Fields, _ key: String, ok: inout Bool) -> [String] {
        var patterns: [String] = []
        guard let nodes = reader.list(fields[key], field: "topics.\(key)") else {
            if let node = fields[key], !YAMLReader.isNull(node) { ok = false }
            return []
        }
        for (index, node) in nodes.enumerated() {
            let field = "topics.\(key)[\(index)]"
            guard let text = reader.string(node, field: field, expected: "a regular expression") else {
                if YAMLReader.isNull(node) { reader.error("`\(field)` is empty", at: node.mark) }
                ok = false
                continue
            }
            if let problem = RegexCheck.problem(text.value) {
                var location = reader.location(text.mark)
                if text.raw == text.value, text.style != .literal, text.style != .folded, !text.raw.contains("\n") {
                    let quote = text.style == .singleQuoted || text.style == .doubleQuoted ? 1 : 0
                    location.column += quote + problem.offset
                }
                reader.append(
                    Diagnostic(
                        severity: .error, location: location,
                        message: "invalid regular expression in `\(field)`: \(problem.message) at character "
                            + "\(problem.offset + 1) of the pattern"))
                ok = false
                continue
            }
            patterns.append(text.value)
        }
        return patterns
    }

    private func decodeVerify(_ root: Fields) -> VerifySettings? {
        var settings = VerifySettings(
            maxLag: 0, timeout: VerifySettings.defaultTimeout, canary: false,
            canaryTopic: VerifySettings.defaultCanaryTopic)
        guard let node = root["verify"], !YAMLReader.isNull(node) else { return settings }
        guard
            let fields = reader.mapping(node, field: "verify", known: Self.verifyKeys, keyMark: root.keyMark("verify"))
        else { return nil }
        var ok = true
        if let node = fields["max_lag"], !YAMLReader.isNull(node) {
            if let value = reader.int(node, field: "verify.max_lag", range: 0...Int.max) {
                settings.maxLag = value
            } else {
                ok = false
            }
        }
        if let node = fields["max_group_lag"], !YAMLReader.isNull(node) {
            if let value = reader.int(node, field: "verify.max_group_lag", range: 0...Int.max) {
                settings.maxGroupLag = value
            } else {
                ok = false
            }
        }
        if let text = reader.string(fields["timeout"], field: "verify.timeout", expected: "a duration like `5m`") {
            if let duration = PlaybookSyntax.duration(text.value) {
                settings.timeout = duration
            } else {
                reader.error(
                    "`verify.timeout` must be a positive duration like `30s`, `5m`, `1h30m` or `500ms`, found \(text.shown)",
                    at: text.mark)
                ok = false
            }
        } else if let node = fields["timeout"], !YAMLReader.isNull(node) {
            ok = false
        }
        if let node = fields["canary"], !YAMLReader.isNull(node) {
            if let value = reader.bool(node, field: "verify.canary") { settings.canary = value } else { ok = false }
        }
        if let text = reader.string(fields["canary_topic"], field: "verify.canary_topic") {
            if PlaybookSyntax.isTopicName(text.value) {
                settings.canaryTopic = text.value
            } else {
                reader.error("`verify.canary_topic` is not a valid topic name, found \(text.shown)", at: text.mark)
                ok = false
            }
        }
        return ok ? settings : nil
    }

    private func decodeConcurrency(_ root: Fields) -> Playbook.Concurrency? {
        guard let node = root["concurrency"], !YAMLReader.isNull(node) else {
            return Playbook.Concurrency(perCluster: 8)
        }
        guard
            let fields = reader.mapping(
                node, field: "concurrency", known: ["per_cluster"], keyMark: root.keyMark("concurrency"))
        else { return nil }
        guard let value = fields["per_cluster"], !YAMLReader.isNull(value) else {
            return Playbook.Concurrency(perCluster: 8)
        }
        return reader.int(value, field: "concurrency.per_cluster", range: 1...64).map(
            Playbook.Concurrency.init(perCluster:))
    }

    // MARK: - Helpers

    /// Reads a required string and checks it; `check` returns an error message or nil.
    func required(
        _ fields: Fields, _ key: String, expected: String, _ check: (YAMLReader.Text, String) -> String?
    ) -> String? {
        guard let node = fields[key], !YAMLReader.isNull(node) else {
            reader.missing(key, in: fields, expected: expected)
            return nil
        }
        return checked(node, fields.path(key), check)
    }

    func optional(_ fields: Fields, _ key: String, _ check: (YAMLReader.Text, String) -> String?) -> String? {
        guard let node = fields[key], !YAMLReader.isNull(node) else { return nil }
        return checked(node, fields.path(key), check)
    }

    private func checked(_ node: Node, _ field: String, _ check: (YAMLReader.Text, String) -> String?) -> String? {
        guard let text = reader.string(node, field: field) else { return nil }
        if let problem = check(text, field) {
            reader.error(problem, at: text.mark)
            return nil
        }
        return text.value
    }

    /// An http(s) URL without credentials, query or fragment; returns it without a trailing slash.
    func checkURL(_ text: YAMLReader.Text, field: String) -> String? {
        let components = URLComponents(string: text.value)
        if let components, components.user != nil || components.password != nil {
            // Never echo: the user part may hold a password.
            reader.error("`\(field)` must not contain credentials (`user:password@`); use `credentials`", at: text.mark)
            return nil
        }
        guard let components, let scheme = components.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = components.host, !host.isEmpty, components.query == nil, components.fragment == nil
        else {
            reader.error(
                "`\(field)` must be an http(s) URL like `https://pkc-abc.us-east-1.aws.confluent.cloud:443`, found \(text.shown)",
                at: text.mark)
            return nil
        }
        if scheme == "http", !allowInsecureHTTP, !InsecureHTTPPolicy.isLoopback(host: host) {
            reader.error(
                "`\(field)` is a cleartext `http://` URL to \(host), which is not a loopback address: credentials "
                    + "would travel unencrypted; use `https://`, or pass `--allow-insecure-http` if this is intended",
                at: text.mark)
            return nil
        }
        var value = text.value
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }
}
