import Foundation
import Yams

extension PlaybookDecoder {
    static let consumerGroupKeys = ["names", "prefixes", "exclude"]

    /// `consumer_groups:` (default: every group), checked against the link options that use it.
    func decodeConsumerGroups(_ root: Fields, link: LinkSettings?) -> ConsumerGroupSelection? {
        let present = root["consumer_groups"].map { !YAMLReader.isNull($0) } ?? false
        if let link { checkOffsetSyncOptions(link, root: root, groupsGiven: present) }
        guard present else { return .all }
        guard
            let fields = reader.mapping(
                root["consumer_groups"], field: "consumer_groups", known: Self.consumerGroupKeys,
                keyMark: root.keyMark("consumer_groups"))
        else { return nil }
        var ok = true
        let names = groupEntries(fields, "names", ok: &ok) { value in
            value.contains("*")
                ? "is a group name, so `*` is not allowed; use `prefixes` for name prefixes, or leave out `names` "
                    + "and `prefixes` to select every group" : nil
        }
        let prefixes = groupEntries(fields, "prefixes", ok: &ok) { value in
            value.contains("*") ? "is a prefix: write it without `*` (`orders-`, not `orders-*`)" : nil
        }
        let exclude = groupEntries(fields, "exclude", ok: &ok) { value in
            if value == "*" { return "would exclude every group" }
            return value.dropLast().contains("*")
                ? "may use `*` only at the end (a prefix, like `tmp-*`); otherwise it is an exact group name" : nil
        }
        let explicitInclude = fields["names"] != nil || fields["prefixes"] != nil
        if ok, explicitInclude, names.isEmpty, prefixes.isEmpty {
            reader.error(
                "`consumer_groups` selects no group: give `names: [...]` and/or `prefixes: [...]`, or leave both out "
                    + "to select every group", at: fields.mark)
            ok = false
        }
        for entry in exclude where names.contains(where: { $0.value == entry.value }) {
            reader.warning(
                "group `\(entry.value)` is both in `consumer_groups.names` and excluded; the exclusion wins",
                at: entry.mark)
        }
        guard ok else { return nil }
        return ConsumerGroupSelection(
            names: names.map(\.value), prefixes: prefixes.map(\.value), exclude: exclude.map(\.value))
    }

    /// The strings of `consumer_groups.<key>`, each non-empty and passing `problem`; duplicates warn.
    private func groupEntries(
        _ fields: Fields, _ key: String, ok: inout Bool, problem: (String) -> String?
    ) -> [(value: String, mark: Mark?)] {
        var entries: [(value: String, mark: Mark?)] = []
        guard let nodes = reader.list(fields[key], field: "consumer_groups.\(key)") else {
            if let node = fields[key], !YAMLReader.isNull(node) { ok = false }
            return []
        }
        for (index, node) in nodes.enumerated() {
            let field = "consumer_groups.\(key)[\(index)]"
            guard let text = reader.string(node, field: field, expected: "a consumer group name") else {
                if YAMLReader.isNull(node) { reader.error("`\(field)` is empty", at: node.mark) }
                ok = false
                continue
            }
            guard !text.value.trimmingCharacters(in: .whitespaces).isEmpty else {
                reader.error("`\(field)` is empty", at: text.mark)
                ok = false
                continue
            }
            if let message = problem(text.value) {
                reader.error("`\(field)` \(message), found \(text.shown)", at: text.mark)
                ok = false
                continue
            }
            if entries.contains(where: { $0.value == text.value }) {
                reader.warning("`\(text.value)` is listed twice in `consumer_groups.\(key)`", at: text.mark)
                continue
            }
            entries.append((text.value, text.mark))
        }
        return entries
    }

    /// Warnings and errors about how the link options and `consumer_groups` fit together.
    private func checkOffsetSyncOptions(_ link: LinkSettings, root: Fields, groupsGiven: Bool) {
        let leg1On = link.leg1Options["consumer.offset.sync.enable"] == "true"
        let leg2On = link.leg2Options["consumer.offset.sync.enable"] == "true"
        let groupsMark = root.keyMark("consumer_groups")
        let explicitFilters =
            link.leg1Options["consumer.offset.group.filters"] != nil
            || link.leg2Options["consumer.offset.group.filters"] != nil
        if groupsGiven, explicitFilters {
            reader.error(
                "`consumer_groups` and the link option `consumer.offset.group.filters` both choose the synced groups; "
                    + "keep `consumer_groups` (jumpchain builds the filters of both legs from it) and remove the option",
                at: groupsMark)
        }
        if groupsGiven, !leg1On, !leg2On {
            reader.warning(
                "`consumer_groups` has no effect: no leg sets the link option `consumer.offset.sync.enable: \"true\"`",
                at: groupsMark)
        }
        if leg1On != leg2On {
            let (on, off) = leg1On ? (1, 2) : (2, 1)
            reader.warning(
                "`consumer.offset.sync.enable` is true on leg \(on) only: group offsets reach the target only when "
                    + "both legs sync them; set it in `link.options` (both legs) or in `link.leg\(off)_options`",
                at: root.keyMark("link"))
        }
    }
}
