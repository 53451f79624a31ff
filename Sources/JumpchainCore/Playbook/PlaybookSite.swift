import Yams

/// One site of a multi-site playbook (`sites:`): a place jumpchain runs from, and the private clusters it can
/// reach. The jump and the control plane are public, so every site reaches them; a public origin or target too.
public struct PlaybookSite: Sendable, Hashable, Codable {
    /// The site's name, as given to `apply|resume --site NAME` (`[A-Za-z0-9_.-]+`).
    public var name: String
    /// The clusters the playbook lists under `reaches`.
    public var reaches: [PlaybookCluster.Role]

    public init(name: String, reaches: [PlaybookCluster.Role]) {
        self.name = name
        self.reaches = reaches
    }
}

extension Playbook {
    /// The playbook's sites, empty for a single-site playbook (no `sites:`).
    public var siteList: [PlaybookSite] { sites ?? [] }

    /// Whether `site` can call `role`'s cluster: it lists it, or the cluster is public.
    public func site(_ site: PlaybookSite, reaches role: PlaybookCluster.Role) -> Bool {
        cluster(role).network.isPublic || site.reaches.contains(role)
    }

    /// Whether the playbook has sites and none of them reaches both private clusters: an operation's steps that
    /// read both are split into one per site (each reads what its site reaches).
    public var noSiteReachesBoth: Bool {
        !siteList.isEmpty && !siteList.contains { site($0, reaches: .origin) && site($0, reaches: .target) }
    }

    /// The cluster playing `role`.
    public func cluster(_ role: PlaybookCluster.Role) -> PlaybookCluster {
        switch role {
        case .origin: origin
        case .jump: jump
        case .target: target
        }
    }

    /// The site named `name`, or an error listing the playbook's sites.
    public func site(named name: String) throws(JumpchainError) -> PlaybookSite {
        guard let sites, !sites.isEmpty else {
            throw JumpchainError(
                .invalidInput,
                "--site \(name): the playbook \(sourceFile) declares no `sites`; leave out --site to run every step here"
            )
        }
        guard let site = sites.first(where: { $0.name == name }) else {
            let names = sites.map(\.name).joined(separator: ", ")
            let hint = Suggestion.closest(to: name, among: sites.map(\.name)).map { " (did you mean \($0)?)" } ?? ""
            throw JumpchainError(
                .invalidInput, "--site \(name): no such site in \(sourceFile)\(hint); its sites are: \(names)")
        }
        return site
    }
}

extension PlaybookDecoder {
    static let siteKeys = ["reaches"]

    /// `sites:` (optional): `{NAME: {reaches: [origin|jump|target, ...]}, ...}`. Every private cluster must be
    /// reached by at least one site.
    func decodeSites(_ root: Fields, origin: PlaybookCluster?, target: PlaybookCluster?) -> [PlaybookSite]?? {
        guard let node = root["sites"], !YAMLReader.isNull(node) else { return .some(nil) }
        guard let fields = reader.mapping(node, field: "sites", known: [], keyMark: root.keyMark("sites")) else {
            return nil
        }
        var ok = true
        var sites: [PlaybookSite] = []
        if fields.entries.isEmpty {
            reader.error(
                "`sites` is empty: name each site and the private clusters it reaches, like "
                    + "`sites: {origin-side: {reaches: [origin]}, target-side: {reaches: [target]}}`, or leave "
                    + "`sites` out to run every step from one place", at: fields.mark)
            return nil
        }
        let roles = PlaybookCluster.Role.allCases.map(\.rawValue)
        for entry in fields.entries {
            let field = "sites.\(entry.name)"
            if !PlaybookSyntax.isTopicName(entry.name) {
                reader.error(
                    "site name `\(entry.name)` may contain only letters, digits, `.`, `_` and `-`", at: entry.key.mark)
                ok = false
                continue
            }
            guard
                let siteFields = reader.mapping(
                    entry.value, field: field, known: Self.siteKeys, keyMark: entry.key.mark)
            else {
                if YAMLReader.isNull(entry.value) {
                    reader.error(
                        "`\(field)` is empty: give `reaches: [...]`, the private clusters this site can call",
                        at: entry.key.mark)
                }
                ok = false
                continue
            }
            guard let list = reader.list(siteFields["reaches"], field: "\(field).reaches") else {
                if siteFields["reaches"] == nil || YAMLReader.isNull(siteFields["reaches"]!) {
                    reader.missing(
                        "reaches", in: siteFields,
                        expected: "the clusters this site can call, a list of `origin`, `jump`, `target`")
                }
                ok = false
                continue
            }
            var reaches: [PlaybookCluster.Role] = []
            for (index, item) in list.enumerated() {
                let itemField = "\(field).reaches[\(index)]"
                guard let text = reader.string(item, field: itemField, expected: "a cluster name") else {
                    if YAMLReader.isNull(item) { reader.error("`\(itemField)` is empty", at: item.mark) }
                    ok = false
                    continue
                }
                guard let role = PlaybookCluster.Role(rawValue: text.value) else {
                    let hint =
                        Suggestion.closest(to: text.value, among: roles).map { "did you mean `\($0)`? " } ?? ""
                    reader.error(
                        "`\(itemField)`: unknown cluster \(text.shown); \(hint)a site reaches `origin`, `jump` or "
                            + "`target`", at: text.mark)
                    ok = false
                    continue
                }
                if !reaches.contains(role) { reaches.append(role) }
            }
            sites.append(PlaybookSite(name: entry.name, reaches: reaches))
        }
        guard ok else { return nil }
        for cluster in [origin, target].compactMap({ $0 }) where !cluster.network.isPublic {
            if !sites.contains(where: { $0.reaches.contains(cluster.role) }) {
                reader.error(
                    "no site reaches the \(cluster.role.rawValue) \(cluster.id), which is private: add "
                        + "`\(cluster.role.rawValue)` to the `reaches` of the site that runs inside (or is peered "
                        + "with) its network", at: fields.mark)
                ok = false
            }
        }
        return ok ? .some(sites) : nil
    }
}
