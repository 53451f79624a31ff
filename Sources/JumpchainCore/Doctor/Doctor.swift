import ConfluentAPI
import Foundation
import JumpchainHTTP

/// `jumpchain doctor`: what this host can reach of the playbook's endpoints, layer by layer (DNS, TCP, TLS with
/// the certificate's name checked, authentication), and so which steps it can run. Every probe is bounded by a
/// short timeout; nothing is created or changed anywhere.
public enum Doctor {
    /// Probes every endpoint the playbook names with the playbook's credentials.
    public static func run(
        _ playbook: Playbook, credentials: RolloutCredentials, timeout: Duration
    ) async -> DoctorReport {
        let http = HTTPClient(
            configuration: HTTPClient.Configuration(connectTimeout: timeout, timeout: timeout))
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
        return DoctorReport(endpoints: endpoints, steps: steps(endpoints), advice: advice(playbook, endpoints))
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
                record(transport: error, secure: secure, timeout: timeout, into: &result)
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
                record(transport: transport, secure: secure, timeout: timeout, into: &result)
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
        transport error: TransportError, secure: Bool, timeout: Duration, into result: inout DoctorReport.Endpoint
    ) {
        switch error.code {
        case .tls:
            result.checks.append(.init("tls", .failed, error.message))
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

    /// Which endpoints each step of a rollout calls (the jump through a session key minted on the control plane).
    static let stepNeeds: [(step: String, needs: [String])] = [
        (RolloutStep.preflight, ["control plane", "origin REST", "jump REST", "target REST"]),
        (RolloutStep.jumpACLs, ["control plane", "jump REST"]),
        (RolloutStep.originACLs, ["origin REST"]),
        (RolloutStep.linkKey, ["control plane"]),
        (RolloutStep.leg1Destination, ["control plane", "jump REST"]),
        // The link key's secret is re-minted through the control plane when a resume lost it.
        (RolloutStep.leg1Source, ["control plane", "origin REST"]),
        (RolloutStep.leg2, ["control plane", "target REST"]),
        (RolloutStep.finalizeLinkKey, ["control plane", "origin REST", "target REST"]),
        (RolloutStep.destroySecret, []),
        (RolloutStep.linksHealthy, ["control plane", "origin REST", "jump REST", "target REST"]),
        (RolloutStep.canaryTopic, ["origin REST"]),
        (RolloutStep.mirrorJump, ["control plane", "jump REST"]),
        (RolloutStep.mirrorTarget, ["target REST"]),
        (RolloutStep.verify, ["control plane", "origin REST", "jump REST", "target REST"]),
    ]

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

    public var endpoints: [Endpoint]
    public var steps: [Step]
    public var advice: [String]

    /// Whether this host can run every step.
    public var allRunnable: Bool { steps.allSatisfy(\.runnable) }
}

extension Rollout {
    /// `jumpchain doctor`: loads the playbook, resolves its credentials into memory, probes every endpoint and
    /// wipes the credentials. Sends only read requests (and one unauthenticated GET where no credentials exist).
    public static func doctor(
        playbookPath: String, timeout: Duration, options: Options
    ) async throws(JumpchainError) -> DoctorReport {
        let (playbook, _) = try loadPlaybook(playbookPath, environment: options.environment)
        let credentials = try RolloutCredentials.resolve(
            playbook, environment: options.environment,
            stdin: options.stdin ?? StdinSecrets(order: playbook.stdinOrder))
        defer { credentials.wipe() }
        return await Doctor.run(playbook, credentials: credentials, timeout: timeout)
    }
}
