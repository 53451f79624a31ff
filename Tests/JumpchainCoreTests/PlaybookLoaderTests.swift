import Foundation
import JumpchainCore
import JumpchainJSON
import Testing

/// A scratch directory per test, removed by the caller's `defer`.
struct PlaybookScratch {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "jumpchain-playbook-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func write(_ name: String, _ text: String, mode: Int = 0o644) -> String {
        let path = directory + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        chmod(path, mode_t(mode))
        return path
    }

    /// Loads `text` as `pb.yaml`; returns the diagnostics as printed, with the directory stripped.
    func diagnostics(_ text: String, environment: [String: String] = [:]) -> [String] {
        let path = write("pb.yaml", text)
        do {
            let (_, diagnostics) = try PlaybookLoader.load(path: path, environment: environment)
            return diagnostics.map { strip($0.description) }
        } catch {
            return error.diagnostics.map { strip($0.description) }
        }
    }

    func strip(_ text: String) -> String { text.replacingOccurrences(of: directory + "/", with: "") }
}

/// A valid playbook; tests replace single lines to break one thing at a time. Line numbers matter.
let validPlaybook = """
    control_plane:
      credentials:
        key: CLOUDKEY
        secret: env:CLOUD_SECRET
    origin:
      id: lkc-origin1
      rest_endpoint: https://origin.example:443
      bootstrap: origin.example:9092
      environment: env-abc1
      network:
        kind: PRIVATE_LINK
        cloud: AWS
        region: us-east-1
        network_id: n-orig1
      credentials:
        key: ORIGINKEY
        secret: env:ORIGIN_SECRET
    jump:
      id: lkc-jump1
      rest_endpoint: https://jump.example:443
      bootstrap: jump.example:9092
      environment: env-abc1
      network: public
    target:
      id: lkc-target1
      rest_endpoint: https://target.example:443
      bootstrap: target.example:9092
      environment: env-abc2
      network:
        kind: PRIVATE_LINK
        cloud: AZURE
        region: westeurope
        network_id: n-targ1
      credentials:
        key: TARGETKEY
        secret: env:TARGET_SECRET
    link:
      service_account: sa-link1
    topics:
      names: [orders]

    """

extension String {
    /// Replaces exactly one occurrence of whole line(s) `lines`; fails the test unless there is exactly one.
    func replacingLine(_ lines: String, with replacement: String) -> String {
        let text = "\n" + self
        let pattern = "\n" + lines + "\n"
        let count = text.components(separatedBy: pattern).count - 1
        #expect(count == 1, "not found exactly once: \(lines)")
        return String(text.replacingOccurrences(of: pattern, with: "\n" + replacement + "\n").dropFirst())
    }
}

@Suite("Playbook loading and validation")
struct PlaybookLoaderTests {
    @Test func validPlaybookLoadsWithDefaults() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let path = scratch.write("my-run.yaml", validPlaybook)
        let (playbook, diagnostics) = try PlaybookLoader.load(path: path, environment: [:])
        #expect(diagnostics.isEmpty)
        #expect(playbook.runName == "my-run")
        #expect(playbook.controlPlane.endpoint == "https://api.confluent.cloud")
        #expect(playbook.origin.id == "lkc-origin1")
        #expect(
            playbook.origin.network
                == .private(PrivateNetwork(kind: .privateLink, cloud: .aws, region: "us-east-1", networkID: "n-orig1")))
        #expect(playbook.jump.network == .public)
        #expect(playbook.jump.credentials == nil)
        #expect(playbook.origin.credentials?.secret == .env("ORIGIN_SECRET"))
        #expect(playbook.link.leg1Name == "jumpchain-origin-to-jump")
        #expect(playbook.link.leg2Name == "jumpchain-jump-to-target")
        #expect(playbook.link.originLocalCredentials == nil, "by default jumpchain mints the origin link key")
        #expect(playbook.link.originKeyOwner == "sa-link1")
        #expect(playbook.link.originPrincipal == "User:sa-link1")
        #expect(playbook.link.manageACLs)
        #expect(
            playbook.verify
                == VerifySettings(maxLag: 0, timeout: .seconds(300), canary: false, canaryTopic: "_jumpchain.canary"))
        #expect(playbook.concurrency.perCluster == 8)
        #expect(playbook.topics.names == ["orders"])
    }

    @Test func unknownKeySuggestsTheClosestAndMissingKeyIsAlsoReported() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine(
            "  rest_endpoint: https://origin.example:443", with: "  rest_endpont: https://origin.example:443")
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:5:1: error: missing required key `rest_endpoint` in `origin`: expected the Kafka REST URL, like `https://pkc-….confluent.cloud:443`",
                "pb.yaml:7:3: error: unknown key `rest_endpont` in `origin`; did you mean `rest_endpoint`?",
            ])
    }

    @Test func unknownTopLevelKeyWithoutCloseMatchListsTheKnownKeys() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let diagnostics = scratch.diagnostics(validPlaybook + "zzzzzz: 1\n")
        #expect(diagnostics.count == 1)
        #expect(
            diagnostics.first?.hasPrefix(
                "pb.yaml:41:1: error: unknown key `zzzzzz` at the top level; expected one of: `version`") == true)
    }

    @Test func everyProblemIsReportedInFileOrder() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text =
            validPlaybook
            .replacingLine("  id: lkc-origin1", with: "  id: cluster-1")
            .replacingLine("  rest_endpoint: https://jump.example:443", with: "  rest_endpoint: ftp://jump.example")
            .replacingLine("  bootstrap: target.example:9092", with: "  bootstrap: target.example")
            .replacingLine("    network_id: n-targ1", with: "    network_id: net-1")
            .replacingLine("  service_account: sa-link1", with: "  service_account: user-1")
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:6:7: error: `origin.id` must be a Confluent Cloud cluster id like `lkc-abc123`, found `cluster-1` (set `platform: true` for a Confluent Platform origin)",
                "pb.yaml:20:18: error: `jump.rest_endpoint` must be an http(s) URL like `https://pkc-abc.us-east-1.aws.confluent.cloud:443`, found `ftp://jump.example`",
                "pb.yaml:27:14: error: `target.bootstrap` must be `host:port` (like `pkc-abc.us-east-1.aws.confluent.cloud:9092`), found `target.example`",
                "pb.yaml:33:17: error: `target.network.network_id` must be a Confluent network id like `n-abc123`, found `net-1`",
                "pb.yaml:38:20: error: `link.service_account` must be a service account id like `sa-abc123`, found `user-1`",
            ])
    }

    @Test func wrongTypesAndMissingSections() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text =
            validPlaybook
            .replacingLine("  names: [orders]", with: "  names: orders")
            + "verify:\n  max_lag: lots\n  canary: maybe\n  timeout: 5 minutes\nconcurrency:\n  per_cluster: 0\n"
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:39:1: error: `topics` selects nothing: give `names: [...]` and/or `patterns: [...]`",
                "pb.yaml:40:10: error: `topics.names` must be a list, found a scalar",
                "pb.yaml:42:12: error: `verify.max_lag` must be a whole number ≥ 0, found `lots`",
                "pb.yaml:43:11: error: `verify.canary` must be `true` or `false`, found `maybe`",
                "pb.yaml:44:12: error: `verify.timeout` must be a positive duration like `30s`, `5m`, `1h30m` or `500ms`, found `5 minutes`",
                "pb.yaml:46:16: error: `concurrency.per_cluster` must be a whole number from 1 to 64, found `0`",
            ])
        let missing = scratch.diagnostics("link:\n  service_account: sa-1\n")
        #expect(
            missing == [
                "pb.yaml:1:1: error: missing required key `control_plane` at the top level: expected `credentials` (a Cloud API key) and optionally `endpoint`",
                "pb.yaml:1:1: error: missing required key `origin` at the top level: expected a cluster with `id`, `rest_endpoint`, `bootstrap`, `environment` and `network`",
                "pb.yaml:1:1: error: missing required key `jump` at the top level: expected a cluster with `id`, `rest_endpoint`, `bootstrap`, `environment` and `network`",
                "pb.yaml:1:1: error: missing required key `target` at the top level: expected a cluster with `id`, `rest_endpoint`, `bootstrap`, `environment` and `network`",
                "pb.yaml:1:1: error: missing required key `topics` at the top level: expected `names: [...]` and/or `patterns: [...]`",
            ])
    }

    @Test func yamlSyntaxErrorAndDuplicateKeysAreLocated() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let syntax = scratch.diagnostics("origin:\n  id: [lkc-1\n")
        #expect(syntax.count == 1)
        #expect(syntax.first?.hasPrefix("pb.yaml:3:1: error: YAML syntax error: ") == true)
        let duplicate = scratch.diagnostics(validPlaybook + "topics:\n  names: [x]\n")
        #expect(
            duplicate == [
                "pb.yaml:39:1: error: YAML syntax error: duplicate key `topics` in one mapping; each key may appear once"
            ])
    }

    @Test func malformedEnvironmentAndIDsAndPlatformOrigin() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine("  environment: env-abc2", with: "  environment: production")
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:28:16: error: `target.environment` must be an environment id like `env-abc123`, found `production`"
            ])
        let platform =
            validPlaybook
            .replacingLine("  id: lkc-origin1", with: "  id: CP_cluster-7\n  platform: true")
            .replacingLine(
                "  environment: env-abc1\n  network:\n    kind: PRIVATE_LINK\n    cloud: AWS", with: "  network:")
        #expect(
            scratch.diagnostics(platform).contains {
                $0.contains("error: a Confluent Platform origin has no Cloud API keys")
                    && $0.contains("origin_local_credentials")
            })
        let path = scratch.write(
            "cp.yaml",
            platform.replacingLine(
                "  service_account: sa-link1",
                with:
                    "  service_account: sa-link1\n  origin_local_credentials: {key: env:LOCAL_KEY, secret: env:LOCAL_SECRET}"
            ))
        let (playbook, _) = try PlaybookLoader.load(path: path, environment: [:])
        #expect(playbook.origin.isPlatform)
        #expect(playbook.origin.id == "CP_cluster-7")
        let platformJump = validPlaybook.replacingLine("  id: lkc-jump1", with: "  id: lkc-jump1\n  platform: true")
        #expect(
            scratch.diagnostics(platformJump) == [
                "pb.yaml:20:13: error: `jump.platform` must be false: only the origin may be a Confluent Platform cluster; the jump and the target are Confluent Cloud clusters"
            ])
    }

    @Test func urlWithCredentialsIsRefusedWithoutEchoingIt() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine(
            "  rest_endpoint: https://target.example:443",
            with: "  rest_endpoint: https://me:hunter2secret@target.example")
        let diagnostics = scratch.diagnostics(text)
        #expect(
            diagnostics == [
                "pb.yaml:26:18: error: `target.rest_endpoint` must not contain credentials (`user:password@`); use `credentials`"
            ])
        #expect(!diagnostics.joined().contains("hunter2"))
    }

    @Test func semanticWarningsExplainWhenTheJumpIsNotNeeded() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let sameNetwork = validPlaybook.replacingLine("    network_id: n-targ1", with: "    network_id: n-orig1")
        #expect(
            scratch.diagnostics(sameNetwork) == [
                "pb.yaml:30:5: warning: a direct link would work because the origin and the target are in the same Confluent Cloud network `n-orig1`; the jump cluster is not needed"
            ])
        let publicTarget = validPlaybook.replacingLine(
            "  network:\n    kind: PRIVATE_LINK\n    cloud: AZURE\n    region: westeurope\n    network_id: n-targ1",
            with: "  network: public")
        #expect(
            scratch.diagnostics(publicTarget) == [
                "pb.yaml:29:12: warning: a direct link would work because the target is public: a source-initiated link from the private origin to a public destination is supported; the jump cluster is not needed"
            ])
        let awsPrivateLinkBoth = validPlaybook.replacingLine("    cloud: AZURE", with: "    cloud: AWS")
        #expect(scratch.diagnostics(awsPrivateLinkBoth).first?.contains("both clusters use AWS PrivateLink") == true)
        let privateJump = validPlaybook.replacingLine(
            "  network: public",
            with: "  network:\n    kind: PEERING\n    cloud: GCP\n    region: us-central1\n    network_id: n-jmp1")
        #expect(
            scratch.diagnostics(privateJump) == [
                "pb.yaml:24:5: warning: the jump is on a private network (private (PEERING GCP us-central1 n-jmp1)); the pattern needs a jump with public endpoints: the private origin reaches it with a source-initiated link and the private target pulls from it"
            ])
        // Warnings do not stop loading.
        let path = scratch.write("warn.yaml", privateJump)
        let (_, diagnostics) = try PlaybookLoader.load(path: path, environment: [:])
        #expect(diagnostics.map(\.severity) == [.warning])
    }

    @Test func sameClusterTwiceIsAnErrorAndEqualLinkNamesWarn() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let same = validPlaybook.replacingLine("  id: lkc-target1", with: "  id: lkc-jump1")
        #expect(
            scratch.diagnostics(same) == [
                "pb.yaml:25:7: error: `target.id` is `lkc-jump1`, the same cluster as `jump.id`; origin, jump and target must be three different clusters"
            ])
        let names = validPlaybook.replacingLine(
            "  service_account: sa-link1",
            with: "  service_account: sa-link1\n  names:\n    leg1: chain\n    leg2: chain")
        #expect(
            scratch.diagnostics(names) == [
                "pb.yaml:39:3: warning: `link.names.leg1` and `link.names.leg2` are both `chain`; distinct names make the two legs easier to tell apart in logs and the Confluent UI"
            ])
    }

    @Test func topicPatternsCompileAndBadOnesPointAtTheCharacter() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine(
            "  names: [orders]", with: "  names: [orders]\n  patterns:\n    - 'payments\\..*'\n  exclude: ['.*\\.tmp']")
        let path = scratch.write("topics.yaml", text)
        let (playbook, _) = try PlaybookLoader.load(path: path, environment: [:])
        let matcher = try playbook.topics.matcher()
        #expect(
            matcher.select(from: ["orders", "payments.eu", "payments.eu.tmp", "old.payments.eu", "inventory"])
                == ["orders", "payments.eu"])
        let bad = validPlaybook.replacingLine("  names: [orders]", with: "  patterns:\n    - orders.(eu|us\n    - ok.*")
        #expect(
            scratch.diagnostics(bad) == [
                "pb.yaml:41:20: error: invalid regular expression in `topics.patterns[0]`: expected ')' at character 14 of the pattern"
            ])
    }

    @Test func environmentSubstitution() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text =
            validPlaybook
            .replacingLine("  rest_endpoint: https://origin.example:443", with: "  rest_endpoint: ${ORIGIN_REST}")
            .replacingLine("  id: lkc-jump1", with: "  id: lkc-${JUMP_SUFFIX}")
            .replacingLine("  names: [orders]", with: "  names: [orders]\n  patterns: ['cost$${x}']")
        let path = scratch.write("subst.yaml", text)
        let environment = ["ORIGIN_REST": "http://127.0.0.1:8081", "JUMP_SUFFIX": "j42"]
        let (playbook, _) = try PlaybookLoader.load(path: path, environment: environment)
        #expect(playbook.origin.restEndpoint == "http://127.0.0.1:8081")
        #expect(playbook.jump.id == "lkc-j42")
        #expect(playbook.topics.patterns == ["cost${x}"])
        #expect(
            scratch.diagnostics(text, environment: ["ORIGIN_REST": "https://x:1"]) == [
                "pb.yaml:19:7: error: environment variable `JUMP_SUFFIX` used in `jump.id` is not set; export it or write the value (write `$${` for a literal `${`)"
            ])
        let malformed = validPlaybook.replacingLine("  bootstrap: jump.example:9092", with: "  bootstrap: ${JUMP")
        #expect(
            scratch.diagnostics(malformed).first?.hasPrefix(
                "pb.yaml:21:14: error: malformed `${…}` in `jump.bootstrap`") == true)
    }

    @Test func verifyAndConcurrencySettings() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text =
            validPlaybook
            + "verify: {max_lag: 10, timeout: 1h30m, canary: true, canary_topic: probe}\nconcurrency: {per_cluster: 2}\n"
            + "version: 1\nrun_name: r1\n"
        let (playbook, _) = try PlaybookLoader.load(path: scratch.write("pb.yaml", text), environment: [:])
        #expect(
            playbook.verify == VerifySettings(maxLag: 10, timeout: .seconds(5400), canary: true, canaryTopic: "probe"))
        #expect(playbook.concurrency.perCluster == 2)
        #expect(playbook.runName == "r1")
        let bad = validPlaybook + "verify: {timeout: 500ms}\nversion: 2\n"
        #expect(
            scratch.diagnostics(bad) == [
                "pb.yaml:42:10: error: `version` must be 1, the only playbook format so far, found `2`"
            ])
    }

    @Test func contentHashIsStableAndNoticesChanges() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let (a, _) = try PlaybookLoader.load(
            path: scratch.write("a.yaml", validPlaybook + "run_name: same\n"), environment: [:])
        let (b, _) = try PlaybookLoader.load(
            path: scratch.write("b.yaml", "run_name: same\n" + validPlaybook), environment: [:])
        #expect(a.contentHash == b.contentHash)
        #expect(a.contentHash.hasPrefix("fnv1a64:") && a.contentHash.count == 24)
        let changed =
            validPlaybook.replacingLine("  names: [orders]", with: "  names: [orders, refunds]") + "run_name: same\n"
        let (c, _) = try PlaybookLoader.load(path: scratch.write("c.yaml", changed), environment: [:])
        #expect(c.contentHash != a.contentHash)
        #expect(a.canonicalJSON.contains("\"secret\":\"env:ORIGIN_SECRET\""))
        // Codable round trip, for storing the playbook with a run.
        let decoded = try JSONDecoder().decode(Playbook.self, from: JSONEncoder().encode(a))
        #expect(decoded == a)
        #expect(decoded.contentHash == a.contentHash)
    }
    @Test func topicsAllowEmptyIsABooleanAndLeavesOlderHashesAlone() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let (plain, _) = try PlaybookLoader.load(path: scratch.write("plain.yaml", validPlaybook), environment: [:])
        #expect(!plain.topics.allowEmpty)
        #expect(!plain.canonicalJSON.contains("allow_empty"))
        let allowing = validPlaybook.replacingLine("  names: [orders]", with: "  names: [orders]\n  allow_empty: true")
        let (allowed, _) = try PlaybookLoader.load(path: scratch.write("allow.yaml", allowing), environment: [:])
        #expect(allowed.topics.allowEmpty)
        #expect(allowed.contentHash != plain.contentHash)
        // A run recorded before `allow_empty` existed decodes with it off.
        let old = try JSONEncoder().encode(plain.topics)
        var object = try #require(try JSONSerialization.jsonObject(with: old) as? [String: Any])
        object.removeValue(forKey: "allow_empty")
        let decoded = try JSONDecoder().decode(
            TopicSelection.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(decoded == plain.topics)
        let wrong = validPlaybook.replacingLine("  names: [orders]", with: "  names: [orders]\n  allow_empty: maybe")
        #expect(scratch.diagnostics(wrong).contains { $0.contains("`topics.allow_empty` must be `true` or `false`") })
    }
}
