import ConfluentAPI
import Foundation
import JumpchainHTTP
import Workflow

/// `jumpchain doctor`: what this host can reach of the playbook's endpoints, layer by layer (DNS, TCP, TLS with
/// the certificate's name checked, authentication), and so which steps it can run. Every probe is bounded by a
/// short timeout; nothing is created or changed anywhere.
public enum Doctor {
    /// Probes every endpoint the playbook names with the playbook's credentials. `caBundlePath` replaces the
    /// system's trusted CAs (tests trust their own CA with it).
    public static func run(
        _ playbook: Playbook, credentials: RolloutCredentials, timeout: Duration, site: String? = nil,
        caBundlePath: String? = nil
    ) async -> DoctorReport {
        let http = HTTPClient(
            configuration: HTTPClient.Configuration(
                connectTimeout: timeout, timeout: timeout, caBundlePath: caBundlePath))
        defer { http.shutdown() }
        @Sendable func endpoint(_ url: String, _ credential: APICredential, _ label: String) -> APIEndpoint {
            APIEndpoint(
                http: http, baseURL: url, credential: credential, label: label, retry: RetryPolicy(maxAttempts: 1))
        }
        var endpoints: [DoctorReport.Endpoint] = []
        let controlPlane = ControlPlaneClient(
            endpoint: endpoint(playbook.controlPlane.endpoint, credentials.cloud, "control plane"))
        endpoints.append(
            await probeREST(
                name: "control plane", url: playbook.controlPlane.endpoint, timeout: timeout,
                authenticate: { () async throws(ConfluentAPIError) in _ = try await controlPlane.listServiceAccounts()
                },
                http: http))
        for cluster in [playbook.origin, playbook.jump, playbook.target] {
            let credential: APICredential? =
                switch cluster.role {
                case .origin: credentials.origin
                case .target: credentials.target
                case .jump: credentials.jump
                }
            let label = "\(cluster.role.rawValue) (\(cluster.id)) Kafka REST"
            var authenticate: (() async throws(ConfluentAPIError) -> Void)?
            if let credential {
                let client = KafkaRESTClient(
                    endpoint: endpoint(cluster.restEndpoint, credential, label), clusterID: cluster.id)
                authenticate = { () async throws(ConfluentAPIError) in _ = try await client.describeCluster() }
            }
            endpoints.append(
                await probeREST(
                    name: "\(cluster.role.rawValue) REST", url: cluster.restEndpoint, timeout: timeout,
                    authenticate: authenticate, http: http))
        }
        for cluster in [playbook.origin, playbook.jump, playbook.target] {
            endpoints.append(await probeBootstrap(cluster, timeout: timeout))
        }
        var report = DoctorReport(endpoints: endpoints, steps: steps(endpoints), advice: advice(playbook, endpoints))
        report.sites = sites(playbook, endpoints)
        report.selectedSite = site
        return report
    }

    /// For a playbook with `sites`: each site's steps (of the multi-site rollout, teardown and failover plans)
    /// and which of them this host can run, from the same typed description of what each step calls.
    private static func sites(_ playbook: Playbook, _ endpoints: [DoctorReport.Endpoint]) -> [DoctorReport.Site] {
        guard !playbook.siteList.isEmpty,
            let plan = try? RolloutPlanner.plan(
                playbook, topics: playbook.topics.names.isEmpty ? ["<topic>"] : playbook.topics.names)
        else { return [] }
        let usable = Set(endpoints.filter(\.usable).map(\.name))
        // The operations whose steps a multi-site plan always places (a cutover and an update need a site that
        // reaches both private clusters, or a host without --site).
        let plans: [(OperationKind, Plan)] =
            [(.rollout, plan)]
            + [
                (.teardown, try? TeardownPlanner.plan(playbook, scope: TeardownScope())),
                (.failover, try? FailoverPlanner.plan(playbook, topics: [], root: "")),
            ].compactMap { operation, plan in plan.map { (operation, $0) } }
        return playbook.siteList.map { site in
            var result = DoctorReport.Site(site: site.name, runnable: [], blocked: [])
            for (operation, plan) in plans {
                for step in plan.steps where step.site == site.name {
                    let name = operation == .rollout ? step.id : "\(operation.command) \(step.id)"
                    let missing = StepSites.calls(step, of: operation).map(\.rawValue).filter { !usable.contains($0) }
                    if missing.isEmpty {
                        result.runnable.append(name)
                    } else {
                        result.blocked.append("\(name) (cannot use \(missing.joined(separator: ", ")))")
                    }
                }
            }
            return result
        }
    }

    // MARK: Probes

    private static func probeREST(
        name: String, url: String, timeout: Duration,
        authenticate: (() async throws(ConfluentAPIError) -> Void)?, http: HTTPClient
    ) async -> DoctorReport.Endpoint {
        var result = DoctorReport.Endpoint(name: name, address: url, checks: [], usable: false)
        guard let parsed = URLComponents(string: url), let host = parsed.host, let scheme = parsed.scheme else {
            result.checks.append(.init("dns", .failed, "not a URL: \(url)"))
            return result
        }
        let secure = scheme == "https"
        let port = UInt16(parsed.port ?? (secure ? 443 : 80))
        guard await resolveAndConnect(host, port: port, timeout: timeout, into: &result) != nil else {
            result.checks.append(.init("tls", .skipped, "not reached"))
            result.checks.append(.init("auth", .skipped, "not reached"))
            return result
        }
        guard let authenticate else {
            // No credentials for this endpoint (the jump's operator access is a session key minted by apply):
            // one unauthenticated request still proves the TLS handshake and that the server answers.
            do {
                _ = try await http.execute(HTTPRequest(method: .get, url: url))
                result.checks.append(
                    .init("tls", secure ? .ok : .skipped, secure ? "handshake ok, name checked" : "plain http"))
                result.checks.append(
                    .init("auth", .skipped, "no credentials in the playbook (apply mints a session key for it)"))
                result.usable = true
            } catch {
                record(transport: error, host: host, secure: secure, timeout: timeout, into: &result)
            }
            return result
        }
        do {
            try await authenticate()
            result.checks.append(
                .init("tls", secure ? .ok : .skipped, secure ? "handshake ok, name checked" : "plain http"))
            result.checks.append(.init("auth", .ok, "the playbook's credentials are accepted"))
            result.usable = true
        } catch {
            if error.code == .unreachable, let transport = error.cause as? TransportError {
                record(transport: transport, host: host, secure: secure, timeout: timeout, into: &result)
            } else {
                result.checks.append(
                    .init("tls", secure ? .ok : .skipped, secure ? "handshake ok, name checked" : "plain http"))
                let status = error.status.map { "HTTP \($0)" } ?? error.code.description
                result.checks.append(.init("auth", .failed, "\(status): \(error.message)"))
            }
        }
        return result
    }

    private static func record(
        transport error: TransportError, host: String, secure: Bool, timeout: Duration,
        into result: inout DoctorReport.Endpoint
    ) {
        switch error.code {
        case .tls:
            // A certificate for other names (libcurl: "no alternative certificate subject name matches target host
            // name", "subjectAltName does not match"): said in so many words, the likely cause being a wrong host.
            let text = error.message.lowercased()
            let mismatch = ["subject name", "subjectaltname", "does not match", "doesn't match"].contains {
                text.contains($0)
            }
            result.checks.append(
                .init(
                    "tls", .failed,
                    mismatch
                        ? "certificate is not for \(host) (its names do not match the endpoint's host): \(error.message)"
                        : error.message))
            result.checks.append(.init("auth", .skipped, "no TLS session"))
        case .timedOut:
            // A blackhole accepts the connection and never answers: on https the handshake stalls, on plain
            // http the request does.
            let silent = "connected, but no answer within \(timeout): the endpoint is blackholed or filtered past TCP"
            result.checks.append(.init("tls", secure ? .failed : .skipped, secure ? silent : "plain http"))
            result.checks.append(.init("auth", secure ? .skipped : .failed, secure ? "no TLS session" : silent))
        default:
            result.checks.append(.init("tls", secure ? .failed : .skipped, error.message))
            result.checks.append(.init("auth", .skipped, "no answer"))
        }
    }

    private static func probeBootstrap(_ cluster: PlaybookCluster, timeout: Duration) async -> DoctorReport.Endpoint {
        let first = cluster.bootstrap.split(separator: ",").first.map(String.init) ?? cluster.bootstrap
        var result = DoctorReport.Endpoint(
            name: "\(cluster.role.rawValue) bootstrap", address: first, checks: [], usable: false)
        let parts = first.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1]) else {
            result.checks.append(.init("dns", .failed, "not host:port: \(first)"))
            return result
        }
        if await resolveAndConnect(String(parts[0]), port: port, timeout: timeout, into: &result) != nil {
            result.usable = true
        }
        result.checks.append(.init("tls", .skipped, "Kafka protocol: the links connect here, not jumpchain"))
        result.checks.append(.init("auth", .skipped, "Kafka protocol"))
        return result
    }

    /// DNS then TCP; appends both checks and returns the address that answered.
    private static func resolveAndConnect(
        _ host: String, port: UInt16, timeout: Duration, into result: inout DoctorReport.Endpoint
    ) async -> NetworkProbe.Address? {
        switch await NetworkProbe.resolve(host, port: port, timeout: timeout) {
        case .failure(let failure):
            result.checks.append(.init("dns", .failed, failure.message))
            result.checks.append(.init("tcp", .skipped, "not resolved"))
            return nil
        case .success(let addresses):
            let listed = addresses.map { "\($0.text) (\($0.isPrivate ? "private" : "public"))" }
            result.checks.append(.init("dns", .ok, listed.joined(separator: ", ")))
            var failures: [String] = []
            for address in addresses {
                switch NetworkProbe.connect(address, timeout: timeout) {
                case .success:
                    result.checks.append(.init("tcp", .ok, "\(address.text):\(port) accepts connections"))
                    return address
                case .failure(let failure):
                    failures.append(failure.message)
                }
            }
            result.checks.append(.init("tcp", .failed, failures.joined(separator: "; ")))
            return nil
        }
    }

    // MARK: Steps and advice

    /// Which endpoints each step of every operation calls, from the steps' own typed description
    /// (``SitedStepKind/calls``): a rollout's steps by name, the others' as `destroy delete-leg2`, `cutover drain`.
    static var stepNeeds: [(step: String, needs: [String])] {
        StepSites.everyKind.map { operation, step, calls in
            (operation == .rollout ? step : "\(operation.command) \(step)", calls.map(\.rawValue))
        }
    }

    private static func steps(_ endpoints: [DoctorReport.Endpoint]) -> [DoctorReport.Step] {
        let usable = Set(endpoints.filter(\.usable).map(\.name))
        return stepNeeds.map { step, needs in
            let missing = needs.filter { !usable.contains($0) }
            return DoctorReport.Step(
                step: step, needs: needs, runnable: missing.isEmpty,
                reason: missing.isEmpty ? "" : "cannot use \(missing.joined(separator: ", ")) from this host")
        }
    }

    private static func advice(_ playbook: Playbook, _ endpoints: [DoctorReport.Endpoint]) -> [String] {
        let usable = Set(endpoints.filter(\.usable).map(\.name))
        var lines: [String] = []
        if !usable.contains("origin REST") && !usable.contains("target REST") {
            lines.append(
                "this host reaches neither the origin's nor the target's REST endpoint: run leg 1 (acls-origin, "
                    + "leg1-source) from a host inside or peered with the origin's network, and leg 2 from one in "
                    + "the target's")
        } else if usable.contains("origin REST") != usable.contains("target REST") {
            let missing = usable.contains("origin REST") ? "target" : "origin"
            lines.append(
                "this host reaches only one private side: the \(missing)'s steps must run from a host in the "
                    + "\(missing)'s network (or one peered with it)")
        }
        if !playbook.origin.network.isPublic && !playbook.target.network.isPublic {
            lines.append(
                "origin and target are both private: neither can link to the other directly (a private target cannot "
                    + "pull from a private origin, and a private origin cannot push to a private target); every byte "
                    + "goes through the public jump")
        }
        return lines
    }
}

/// What `doctor` found.
public struct DoctorReport: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        case ok, failed, skipped
    }

    public struct Check: Sendable, Codable {
        public var name: String
        public var status: Status
        public var detail: String

        init(_ name: String, _ status: Status, _ detail: String) {
            self.name = name
            self.status = status
            self.detail = detail
        }
    }

    public struct Endpoint: Sendable, Codable {
        public var name: String
        public var address: String
        public var checks: [Check]
        /// Whether this host can use it (for a bootstrap: reach it).
        public var usable: Bool
    }

    public struct Step: Sendable, Codable {
        public var step: String
        public var needs: [String]
        public var runnable: Bool
        public var reason: String
    }

    /// One site of a multi-site playbook: its steps this host can run, and those it cannot (with why).
    public struct Site: Sendable, Codable {
        public var site: String
        public var runnable: [String]
        public var blocked: [String]

        /// `site origin-side: this host can run all 13 of its steps` or what it cannot run.
        public var line: String {
            let total = runnable.count + blocked.count
            return blocked.isEmpty
                ? "site \(site): this host can run all \(total) of its steps"
                : "site \(site): this host cannot run \(blocked.count) of its \(total) steps: "
                    + blocked.joined(separator: ", ")
        }
    }

    public var endpoints: [Endpoint]
    public var steps: [Step]
    public var advice: [String]
    /// Per site, for a playbook with `sites` (empty otherwise).
    public var sites: [Site] = []
    /// `doctor --site NAME`: the site this host is meant to be.
    public var selectedSite: String?

    /// Whether this host can run every step (with `--site`: every step of that site).
    public var allRunnable: Bool {
        if let selectedSite, let site = sites.first(where: { $0.site == selectedSite }) { return site.blocked.isEmpty }
        return steps.allSatisfy(\.runnable)
    }
}

extension Rollout {
    /// `jumpchain doctor`: loads the playbook, resolves its credentials into memory, probes every endpoint and
    /// wipes the credentials. Sends only read requests (and one unauthenticated GET where no credentials exist).
    public static func doctor(
        playbookPath: String, timeout: Duration, options: Options
    ) async throws(JumpchainError) -> DoctorReport {
        let (playbook, _) = try loadPlaybook(
            playbookPath, environment: options.environment, allowInsecureHTTP: options.allowInsecureHTTP)
        if let site = options.site { _ = try playbook.site(named: site) }
        let credentials = try RolloutCredentials.resolve(
            playbook, environment: options.environment,
            stdin: options.stdin ?? StdinSecrets(order: playbook.stdinOrder))
        defer { credentials.wipe() }
        return await Doctor.run(playbook, credentials: credentials, timeout: timeout, site: options.site)
    }
}
