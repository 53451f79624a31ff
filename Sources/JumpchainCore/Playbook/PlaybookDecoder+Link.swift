import Foundation
import Yams

extension PlaybookDecoder {
    static let optionsKeys = ["options", "leg1_options", "leg2_options"]

    /// `link:`. Without `origin_local_credentials`, jumpchain mints the origin link key (owned by
    /// `origin_service_account`, default `service_account`) and its principal is the origin principal.
    func decodeLink(_ root: Fields) -> LinkSettings? {
        guard let node = root["link"], !YAMLReader.isNull(node) else {
            reader.missing("link", in: root, expected: "at least `service_account: sa-…`")
            return nil
        }
        guard let fields = reader.mapping(node, field: "link", known: Self.linkKeys, keyMark: root.keyMark("link"))
        else {
            return nil
        }
        let serviceAccount = required(fields, "service_account", expected: "the link key's owner `sa-…`") {
            text, field in
            PlaybookSyntax.isConfluentID(text.value, prefix: "sa")
                ? nil : "`\(field)` must be a service account id like `sa-abc123`, found \(text.shown)"
        }
        let (leg1Name, leg2Name) = decodeNames(fields)
        let suppliesLocal = fields["origin_local_credentials"].map { !YAMLReader.isNull($0) } ?? false
        let localCredentials =
            suppliesLocal ? decodeCredentials(fields, key: "origin_local_credentials", required: false) : nil
        let originServiceAccount = optional(fields, "origin_service_account") { text, field in
            PlaybookSyntax.isConfluentID(text.value, prefix: "sa")
                ? nil : "`\(field)` must be a service account id like `sa-abc123`, found \(text.shown)"
        }
        if suppliesLocal, let node = fields["origin_service_account"] {
            reader.warning(
                "`link.origin_service_account` is ignored because `link.origin_local_credentials` is given (jumpchain "
                    + "mints no origin link key then)", at: node.mark)
        }
        var manageACLs = true
        if let node = fields["manage_acls"], !YAMLReader.isNull(node) {
            manageACLs = reader.bool(node, field: "link.manage_acls") ?? true
        }
        var principal = optional(fields, "origin_principal") { text, field in
            let id = text.value.hasPrefix("User:") ? String(text.value.dropFirst(5)) : text.value
            return PlaybookSyntax.isConfluentID(id, prefix: "sa") || PlaybookSyntax.isConfluentID(id, prefix: "u")
                || PlaybookSyntax.isConfluentID(id, prefix: "pool")
                ? nil : "`\(field)` must be a principal like `User:sa-abc123`, found \(text.shown)"
        }.map { $0.hasPrefix("User:") ? $0 : "User:\($0)" }
        if !suppliesLocal {
            if let node = fields["origin_principal"] {
                reader.warning(
                    "`link.origin_principal` is ignored because jumpchain mints the origin link key (no "
                        + "`link.origin_local_credentials`): its owner is the origin principal", at: node.mark)
            }
            if let owner = originServiceAccount ?? serviceAccount { principal = "User:\(owner)" }
        } else if let node = fields["origin_principal"], !manageACLs {
            reader.warning("`link.origin_principal` is ignored because `link.manage_acls` is false", at: node.mark)
        }
        let options = decodeOptions(fields)
        guard let serviceAccount, let leg1Name, let leg2Name, let options, !suppliesLocal || localCredentials != nil
        else { return nil }
        if leg1Name == leg2Name {
            reader.warning(
                "`link.names.leg1` and `link.names.leg2` are both `\(leg1Name)`; distinct names make the two legs "
                    + "easier to tell apart in logs and the Confluent UI", at: fields.keyMark("names") ?? fields.mark)
        }
        return LinkSettings(
            serviceAccount: serviceAccount, leg1Name: leg1Name, leg2Name: leg2Name,
            originLocalCredentials: localCredentials, originServiceAccount: suppliesLocal ? nil : originServiceAccount,
            manageACLs: manageACLs, originPrincipal: principal,
            leg1Options: options.leg1, leg2Options: options.leg2)
    }

    private func decodeNames(_ link: Fields) -> (String?, String?) {
        guard let node = link["names"], !YAMLReader.isNull(node) else {
            return (LinkSettings.defaultLeg1Name, LinkSettings.defaultLeg2Name)
        }
        guard
            let fields = reader.mapping(
                node, field: "link.names", known: ["leg1", "leg2"], keyMark: link.keyMark("names"))
        else { return (nil, nil) }
        let check: (YAMLReader.Text, String) -> String? = { text, field in
            PlaybookSyntax.isTopicName(text.value)
                ? nil : "`\(field)` must be a link name (letters, digits, `.`, `_`, `-`), found \(text.shown)"
        }
        // Absent or null (`leg1: ~`) means the default name, as a null `names` does.
        let given = { (key: String) in fields[key].map { !YAMLReader.isNull($0) } ?? false }
        let leg1 = given("leg1") ? optional(fields, "leg1", check) : LinkSettings.defaultLeg1Name
        let leg2 = given("leg2") ? optional(fields, "leg2", check) : LinkSettings.defaultLeg2Name
        return (leg1, leg2)
    }

    /// Merges `options_file` < `options` < `legN_options` per leg, checking every name and value.
    private func decodeOptions(_ link: Fields) -> (leg1: [String: String], leg2: [String: String])? {
        var ok = true
        var shared: [String: String] = [:]
        if let text = reader.string(link["options_file"], field: "link.options_file") {
            if let values = loadOptionsFile(text) { shared = values } else { ok = false }
        }
        var inline: [String: [String: String]] = [:]
        for key in Self.optionsKeys {
            guard let values = decodeOptionMap(link, key) else {
                ok = false
                continue
            }
            inline[key] = values
        }
        shared.merge(inline["options"] ?? [:]) { _, new in new }
        let leg1 = shared.merging(inline["leg1_options"] ?? [:]) { _, new in new }
        let leg2 = shared.merging(inline["leg2_options"] ?? [:]) { _, new in new }
        for (leg, options) in [("leg 1", leg1), ("leg 2", leg2)] where ok {
            for warning in LinkOptionRules.combinationWarnings(options) {
                reader.warning("\(leg): \(warning)", at: link.keyMark("options") ?? link.mark)
            }
        }
        return ok ? (leg1, leg2) : nil
    }

    private func decodeOptionMap(_ link: Fields, _ key: String) -> [String: String]? {
        guard let node = link[key], !YAMLReader.isNull(node) else { return [:] }
        guard let fields = reader.mapping(node, field: "link.\(key)", known: [], keyMark: link.keyMark(key)) else {
            return nil
        }
        var values: [String: String] = [:]
        var ok = true
        for entry in fields.entries {
            let field = "link.\(key).\(entry.name)"
            if let problem = LinkOptionRules.nameProblem(entry.name) {
                reader.error(problem, at: entry.key.mark)
                ok = false
                continue
            }
            guard let text = reader.text(entry.value, field: field, expected: "a string value") else {
                ok = false
                continue
            }
            let value = YAMLReader.isNull(entry.value) ? "" : text.value
            if let problem = LinkOptionRules.valueProblem(name: entry.name, value: value) {
                reader.error("\(problem), found \(text.shown)", at: text.mark)
                ok = false
                continue
            }
            values[entry.name] = value
        }
        return ok ? values : nil
    }

    private func loadOptionsFile(_ text: YAMLReader.Text) -> [String: String]? {
        // Named relative to the playbook path as the user gave it, so diagnostics read like the playbook's.
        let directory = (reader.file as NSString).deletingLastPathComponent
        let path =
            text.value.hasPrefix("/") || directory.isEmpty
            ? text.value : (directory as NSString).appendingPathComponent(text.value)
        guard let data = FileManager.default.contents(atPath: path) else {
            reader.error("`link.options_file`: cannot read `\(path)`", at: text.mark)
            return nil
        }
        let properties: PropertiesFile
        do {
            properties = try PropertiesFile.parse(text: String(decoding: data, as: UTF8.self), file: path)
        } catch {
            error.diagnostics.forEach(reader.append)
            return nil
        }
        properties.diagnostics.forEach(reader.append)
        var ok = true
        for entry in properties.entries {
            if let problem = LinkOptionRules.nameProblem(entry.key)
                ?? LinkOptionRules.valueProblem(name: entry.key, value: entry.value)
            {
                reader.append(Diagnostic(severity: .error, location: entry.location, message: problem))
                ok = false
            }
        }
        return ok ? properties.values : nil
    }
}
