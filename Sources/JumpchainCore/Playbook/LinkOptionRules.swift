import Foundation

/// Which link configs a playbook may set, and what their values must look like (api-facts §3.6).
///
/// Mode, bootstrap and credential configs are refused: jumpchain derives them from the chain (leg 1
/// source-initiated, leg 2 destination-initiated, the link key, `origin_local_credentials`), and a
/// playbook setting them would either fight jumpchain or put secret material in a file.
enum LinkOptionRules {
    /// Behaviour configs editable on Confluent Cloud links.
    static let editable: [String] = [
        "acl.filters", "acl.sync.enable", "acl.sync.ms", "auto.create.mirror.topics.enable",
        "auto.create.mirror.topics.filters", "cluster.link.prefix", "consumer.group.prefix.enable",
        "consumer.offset.group.filters", "consumer.offset.sync.enable", "consumer.offset.sync.ms",
        "mirror.start.offset.spec", "topic.config.sync.include", "topic.config.sync.ms",
    ]

    static let readOnly: Set<String> = [
        "cluster.link.retry.timeout.ms", "connections.max.idle.ms", "metadata.max.age.ms",
        "num.cluster.link.fetchers", "request.timeout.ms", "retry.backoff.ms",
    ]

    static let managedExact: Set<String> = [
        "link.mode", "connection.mode", "remote.link.connection.mode", "bootstrap.servers", "security.protocol",
    ]

    static let managedPrefixes = ["sasl.", "local.", "ssl."]

    /// An error for a config name jumpchain refuses or does not know; nil when the name is fine.
    static func nameProblem(_ name: String) -> String? {
        if managedExact.contains(name) || managedPrefixes.contains(where: name.hasPrefix) {
            return "link config `\(name)` cannot be set in a playbook: jumpchain sets the link mode, bootstrap "
                + "and credential configs itself (origin `local.*` from `link.origin_local_credentials`, the jump's "
                + "from the link key)"
        }
        if readOnly.contains(name) || name.hasPrefix("replica.fetch.")
            || name.hasPrefix("socket.connection.setup.timeout.")
        {
            return "link config `\(name)` is read-only on Confluent Cloud"
        }
        if editable.contains(name) { return nil }
        let hint = Suggestion.closest(to: name, among: editable).map { "did you mean `\($0)`? " } ?? ""
        return "unknown link config `\(name)`; \(hint)known configs: \(editable.joined(separator: ", "))"
    }

    /// An error for a bad value of a known config; nil when fine.
    static func valueProblem(name: String, value: String) -> String? {
        if name.hasSuffix(".enable") {
            return value == "true" || value == "false" ? nil : "`\(name)` must be `true` or `false`"
        }
        if name.hasSuffix(".ms") {
            return UInt64(value) != nil ? nil : "`\(name)` must be a whole number of milliseconds"
        }
        if name.hasSuffix(".filters") {
            if value.isEmpty { return nil }
            let valid = (try? JSONSerialization.jsonObject(with: Data(value.utf8))) != nil
            return valid ? nil : "`\(name)` must be a JSON filter document (for example `{\"groupFilters\": [...]}`)"
        }
        if name == "cluster.link.prefix" {
            return PlaybookSyntax.isTopicName(value, allowEmpty: false)
                ? nil : "`cluster.link.prefix` may contain only letters, digits, `.`, `_` and `-`"
        }
        return nil
    }

    /// Warnings about an effective set of options for one leg.
    static func combinationWarnings(_ options: [String: String]) -> [String] {
        var warnings: [String] = []
        if options["acl.sync.enable"] == "true", (options["acl.filters"] ?? "").isEmpty {
            warnings.append("`acl.sync.enable` is true without `acl.filters`: the link's AclSync task will fail")
        }
        if options["auto.create.mirror.topics.enable"] == "true",
            (options["auto.create.mirror.topics.filters"] ?? "").isEmpty
        {
            warnings.append(
                "`auto.create.mirror.topics.enable` is true without `auto.create.mirror.topics.filters`: "
                    + "the link's AutoCreateMirror task will fail")
        }
        return warnings
    }
}
