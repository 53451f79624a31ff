extension SimulatorConnectionInfo {
    /// The `JUMPCHAIN_*` variables `playbooks/demo.yaml` reads, for a world whose clusters are named
    /// `origin`, `jump` and `target` (as `jump-demo` is): ids, endpoints, bootstraps, environments, and the
    /// operator keys with their secrets (revealed only by worlds started with `revealOperatorSecrets`).
    public func playbookEnvironment(linkServiceAccount: String) -> [String: String] {
        var values: [String: String] = [
            "JUMPCHAIN_CONTROL_PLANE": controlPlaneURL, "JUMPCHAIN_LINK_SA": linkServiceAccount,
        ]
        for cluster in clusters {
            let prefix = "JUMPCHAIN_\(cluster.name.uppercased())"
            values["\(prefix)_ID"] = cluster.id
            values["\(prefix)_REST"] = cluster.restURL
            values["\(prefix)_BOOTSTRAP"] = cluster.bootstrap
            values["\(prefix)_ENV"] = cluster.environment
        }
        for key in operatorKeys {
            if let resource = key.resource {
                guard let cluster = clusters.first(where: { $0.id == resource }) else { continue }
                values["JUMPCHAIN_\(cluster.name.uppercased())_KEY"] = key.id
                values["JUMPCHAIN_\(cluster.name.uppercased())_SECRET"] = key.secret
            } else {
                values["JUMPCHAIN_CLOUD_KEY"] = key.id
                values["JUMPCHAIN_CLOUD_SECRET"] = key.secret
            }
        }
        return values
    }
}
