import ConfluentAPI
import ConfluentSimulator
import Foundation
import Testing
import Workflow

@testable import JumpchainCore

/// A run keeps its ACL bindings under the cluster's limit: LITERAL while they fit, PREFIXED on a prefix that
/// names only the run's topics when they do not, and `destroy` removes exactly what the run created.
@Suite("ACLs under the cluster's limit")
struct ACLBudgetTests {
    /// The repository's `playbooks/demo.yaml`.
    static let demoPlaybook = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("playbooks/demo.yaml").path

    /// The demo playbook selecting `orders.*` with leg 1's `cluster.link.prefix` `j.`: a prefix on each cluster.
    static func prefixedDemo() throws -> String {
        var text = try String(contentsOfFile: demoPlaybook, encoding: .utf8)
        for (old, new) in [
            ("names: [orders, payments, inventory]", "patterns: [\"orders.*\"]"),
            ("  options:\n", "  leg1_options:\n    cluster.link.prefix: \"j.\"\n  options:\n"),
        ] {
            #expect(text.contains(old))
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    /// 340 origin topics `orders.*`: over 1,020 LITERAL bindings on the jump, past a Standard cluster's 1,000.
    static let ordersTopics = ["orders"] + (0..<339).map { "orders.\($0)" }

    /// The demo world with ``ordersTopics`` on the origin and a jump of type `jumpKind` (`leastPrivilege`: its
    /// operator is no organization admin, only CloudClusterAdmin and ResourceKeyAdmin).
    static func ordersWorld(jumpKind: String, leastPrivilege: Bool = false) throws -> SimulatorConfig {
        var world = leastPrivilege ? SimulatorConfig.jumpDemoLeastPrivilege() : SimulatorConfig.jumpDemo()
        let index = try #require(world.clusters.firstIndex { $0.id == SimulatorConfig.JumpDemo.jump })
        world.clusters[index].kind = jumpKind
        for name in ordersTopics.dropFirst() {
            world.topics.append(
                SimulatorConfig.Topic(cluster: SimulatorConfig.JumpDemo.origin, name: name, partitions: 1))
        }
        return world
    }

    @Test("topic bindings: a covering prefix stands for its topics, the rest stay LITERAL")
    func topicBindings() {
        let bindings = ACLBudget.topicBindings(
            ["j.orders", "j.payments", "_jumpchain.canary"], prefixes: ["j."], principal: "User:sa-1")
        #expect(bindings.count == 6)
        #expect(
            Set(bindings.map { "\($0.patternType) \($0.resourceName)" }) == [
                "PREFIXED j.", "LITERAL _jumpchain.canary",
            ])
        #expect(Set(bindings.map(\.operation)) == ["READ", "DESCRIBE", "DESCRIBE_CONFIGS"])
        // A prefix some other topic of the cluster carries would grant that topic too: not used.
        #expect(
            ACLBudget.exactPrefixes(
                ["orders", "pay"], runTopics: ["orders", "orders.eu"], existing: ["orders", "orders.eu", "payments"])
                == ["orders"])
        #expect(
            ACLBudget.exactPrefixes(["orders"], runTopics: ["orders"], existing: ["orders", "orders.secret"]).isEmpty)
    }

    @Test("the decision: LITERAL when it fits, PREFIXED when only that fits, else a refusal naming count, limit, fix")
    func decision() {
        let dedicated = ACLBudget.limit(kind: "Dedicated", cluster: "jump")
        func wanted(_ prefixes: [String]) -> [ACLBinding] {
            ACLBudget.topicBindings((0..<100).map { "t\($0)" }, prefixes: prefixes, principal: "User:sa-1")
        }
        let fits = ACLBudget.decide(
            cluster: "jump lkc-1", principal: "User:sa-1", total: ACLBudget.clusterLimit - 300, limit: dedicated,
            present: [],
            exact: ["t"], fix: "the fix", wanted: wanted)
        #expect(fits.prefixes.isEmpty && fits.problem == nil)
        let prefixed = ACLBudget.decide(
            cluster: "jump lkc-1", principal: "User:sa-1", total: ACLBudget.clusterLimit - 299, limit: dedicated,
            present: [],
            exact: ["t"], fix: "the fix", wanted: wanted)
        #expect(prefixed.prefixes == ["t"] && prefixed.problem == nil)
        let refused = ACLBudget.decide(
            cluster: "jump lkc-1", principal: "User:sa-1", total: ACLBudget.clusterLimit - 2, limit: dedicated,
            present: [],
            exact: ["t"], fix: "the fix", wanted: wanted)
        #expect(refused.problem != nil && refused.prefixes.isEmpty)
        // A cluster over its limit, and the principal holds every binding already: nothing to add, nothing refused.
        let holding = ACLBudget.decide(
            cluster: "jump lkc-1", principal: "User:sa-1", total: ACLBudget.clusterLimit + 5, limit: dedicated,
            present: Set(wanted([])), exact: ["t"], fix: "the fix", wanted: wanted)
        #expect(holding.prefixes.isEmpty && holding.problem == nil)
        let problem = refused.problem
        for text in [
            "jump lkc-1", "300 ACL bindings", "9998", "limit of 10000", "Dedicated, read from the control plane",
            "PREFIXED bindings on t would add 3", "the fix",
        ] {
            #expect(problem?.contains(text) == true, "missing \(text) in \(problem ?? "nil")")
        }
    }

    @Test("an update checks only the budget's own PREFIXED bindings against its selection, never auto-create's filters")
    func stalePrefixesAreTheBudgets() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        func load(_ topics: String) throws -> Playbook {
            #expect(validPlaybook.contains("names: [orders]"))
            let text = validPlaybook.replacingOccurrences(of: "names: [orders]", with: topics)
            let path = scratch.write("pb.yaml", text)
            return try PlaybookLoader.load(path: path, environment: ["CLOUD_SECRET": "x", "ORIGIN_SECRET": "x"]).0
        }
        let playbook = try load("patterns: [\"orders.*\"]")
        let path = scratch.directory + "/pb.yaml"
        let principal = "User:sa-origin"
        func prefixed(_ name: String) -> [ACLBinding] {
            ACLBudget.topicBindings([name], prefixes: [name], principal: principal)
        }
        // Auto-create's filter `returns` (with `returns.tmp` excluded by the link) holds the same three operations.
        let filter = prefixed("returns")
        #expect(
            ACLBudget.heldPrefixes(Set(filter), principal: principal, covering: ["returns-eu"], recorded: ["returns"])
                == ["returns"])
        #expect(
            ACLBudget.heldPrefixes(
                Set(filter), principal: principal, covering: ["returns-eu"], recorded: ["returns"], except: filter
            )
            .isEmpty)
        // A set the principal holds that no operation of this chain recorded (another chain's): not reused.
        #expect(
            ACLBudget.heldPrefixes(Set(filter), principal: principal, covering: ["returns-eu"], recorded: []).isEmpty)
        var chain = ChainState(playbook: playbook, playbookHash: "", topics: [])
        chain.originACLs = filter
        let topics = ["orders", "orders.eu", "orders.us", "returns-eu", "returns.tmp"]
        #expect(chain.stalePrefixCandidates.isEmpty)
        try Update.refuseStalePrefixes(
            chain: chain, playbook: playbook, selected: ["orders"], originTopics: topics, path: path)
        // The budget's prefix on bindings the chain created: a selection leaving `orders.us` out is refused.
        chain.originBudgetPrefixes = ["orders"]
        chain.originACLs += prefixed("orders")
        #expect(chain.stalePrefixCandidates == ["orders"])
        #expect {
            try Update.refuseStalePrefixes(
                chain: chain, playbook: playbook, selected: ["orders", "orders.eu"], originTopics: topics, path: path)
        } throws: { error in
            let message = (error as? JumpchainError)?.message ?? ""
            return message.contains("`orders`") && message.contains("orders.us") && !message.contains("returns")
        }
        let all = ["orders", "orders.eu", "orders.us"]
        try Update.refuseStalePrefixes(
            chain: chain, playbook: playbook, selected: all, originTopics: topics, path: path)
        // An exclusion of a topic that does not exist yet, or a pattern on another prefix: the binding would grant
        // what the selection leaves out once it exists. Refused, naming the field.
        for (selection, field) in [
            ("patterns: [\"orders.*\"]\n  exclude: [orders.later]", "topics.exclude"),
            ("patterns: [\"orders\\\\.eu.*\", \"orders\\\\.us\", \"orders\"]", "topics.patterns"),
        ] {
            let narrowed = try load(selection)
            #expect(ACLBudget.candidatePrefixes(narrowed, onJump: false) != ["orders"])
            #expect {
                try Update.refuseStalePrefixes(
                    chain: chain, playbook: narrowed, selected: all, originTopics: topics, path: path)
            } throws: { error in
                let message = (error as? JumpchainError)?.message ?? ""
                return message.contains("`orders`") && message.contains(field)
            }
        }
        // The budget reused a prefix its owner held before the run: not the chain's binding, nothing to refuse.
        chain.originACLs = filter
        #expect(chain.stalePrefixCandidates.isEmpty)
    }

    @Test("the cluster type sets the limit: Basic and Standard 1,000, Enterprise 4,000, Dedicated 10,000, else assumed")
    func limitsByKind() {
        #expect(
            ACLBudget.limit(kind: "Standard", cluster: "jump")
                == .init(value: 1_000, source: "Standard, read from the control plane"))
        #expect(ACLBudget.limit(kind: "Basic", cluster: "jump").value == 1_000)
        #expect(ACLBudget.limit(kind: "Enterprise", cluster: "jump").value == 4_000)
        #expect(ACLBudget.limit(kind: "Dedicated", cluster: "jump").value == 10_000)
        let freight = ACLBudget.limit(kind: "Freight", cluster: "origin")
        #expect(freight.isAssumed && freight.value == ACLBudget.clusterLimit)
        #expect(
            freight.source.contains("`Freight`") && freight.source.contains("origin.acl_limit"), "\(freight.source)")
        #expect(ACLBudget.limit(kind: nil, cluster: "jump").isAssumed)
    }

    @Test("acl_limit: per cluster on the origin and the jump, a whole number; on the target an error naming file:line")
    func aclLimitField() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let (plain, _) = try PlaybookLoader.load(path: scratch.write("plain.yaml", validPlaybook), environment: [:])
        #expect(plain.jump.aclLimit == nil && plain.origin.aclLimit == nil)
        #expect(!plain.canonicalJSON.contains("acl_limit"), "playbooks without it keep their hash")
        let limited = validPlaybook.replacingLine("  id: lkc-jump1", with: "  id: lkc-jump1\n  acl_limit: 1000")
            .replacingLine("  id: lkc-origin1", with: "  id: lkc-origin1\n  acl_limit: 4000")
        let (playbook, _) = try PlaybookLoader.load(path: scratch.write("limited.yaml", limited), environment: [:])
        #expect(playbook.jump.aclLimit == 1_000 && playbook.origin.aclLimit == 4_000)
        #expect(playbook.contentHash != plain.contentHash)
        #expect(try JSONDecoder().decode(Playbook.self, from: JSONEncoder().encode(playbook)) == playbook)
        func line(_ text: String, _ prefix: String) -> Int {
            (text.components(separatedBy: "\n").firstIndex { $0.hasPrefix(prefix) } ?? -1) + 1
        }
        let zero = validPlaybook.replacingLine("  id: lkc-jump1", with: "  id: lkc-jump1\n  acl_limit: 0")
        #expect(
            scratch.diagnostics(zero) == [
                "pb.yaml:\(line(zero, "  acl_limit")):14: error: `jump.acl_limit` must be a whole number from 1 to "
                    + "1000000, found `0`"
            ])
        let words = validPlaybook.replacingLine("  id: lkc-origin1", with: "  id: lkc-origin1\n  acl_limit: many")
        #expect(scratch.diagnostics(words).first?.contains("`origin.acl_limit` must be a whole number") == true)
        let target = validPlaybook.replacingLine("  id: lkc-target1", with: "  id: lkc-target1\n  acl_limit: 1000")
        let diagnostics = scratch.diagnostics(target)
        #expect(diagnostics.count == 1)
        #expect(
            diagnostics.first?.hasPrefix("pb.yaml:\(line(target, "  acl_limit")):14: error: `target.acl_limit`")
                == true,
            "\(diagnostics)")
        #expect(diagnostics.first?.contains("grants no ACLs on the target") == true)
    }

    @Test(
        "340 topics: a Dedicated jump keeps LITERAL bindings; acl_limit overrides its type; an unknown type is Dedicated"
    )
    func limitPerClusterKind() async throws {
        let state = NSTemporaryDirectory() + "jumpchain-aclkind-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let text = try Self.prefixedDemo()
        let topics = Self.ordersTopics
        // (jump's type, jump.acl_limit, the jump's prefixes, the limit recorded for the jump)
        let cases: [(String, Int?, String?, String)] = [
            ("Dedicated", nil, nil, "10000 (Dedicated, read from the control plane)"),
            ("Dedicated", 1_000, "j.", "1000 (jump.acl_limit in the playbook)"),
            (
                "Freight", nil, nil,
                "10000 (Dedicated's limit, assumed: the control plane gave jump's type as `Freight`, whose limit "
                    + "jumpchain does not know; set jump.acl_limit if it allows fewer)"
            ),
        ]
        for (kind, override, prefixes, recorded) in cases {
            // A CloudClusterAdmin operator reads its clusters' types (the first case; the others are admins).
            let world = try Self.ordersWorld(jumpKind: kind, leastPrivilege: override == nil && kind == "Dedicated")
            var variant = text
            if let override {
                variant = variant.replacingOccurrences(
                    of: "  environment: ${JUMPCHAIN_JUMP_ENV}\n",
                    with: "  environment: ${JUMPCHAIN_JUMP_ENV}\n  acl_limit: \(override)\n")
            }
            let file = state + "/\(kind)-\(override ?? 0).yaml"
            try variant.write(toFile: file, atomically: true, encoding: .utf8)
            let simulator = try await Simulator.start(world, revealOperatorSecrets: true)
            let environment = simulator.connectionInfo.playbookEnvironment(
                linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
            let (playbook, _) = try Rollout.loadPlaybook(file, environment: environment)
            #expect(playbook.jump.aclLimit == override)
            let options = Rollout.Options(stateDirectory: state + "/runs", environment: environment)
            let context = try RunSession.makeContext(playbook, runName: playbook.runName, options: options)
            let executor = RolloutExecutor(context: context, plan: try RolloutPlanner.plan(playbook, topics: topics))
            let jumpClient = try await context.jump()
            let outputs = try await executor.aclBudget(
                jump: (jumpClient, Set(try await jumpClient.listTopics().map(\.topicName))),
                originTopics: Set(try await context.origin.listTopics().map(\.topicName)))
            #expect(outputs[ACLBudget.jumpPrefixesKey] == prefixes, "\(kind) \(override ?? 0): \(outputs)")
            #expect(outputs["jump_acl_limit"] == recorded)
            // The origin is Dedicated in every case: 1,024 LITERAL bindings fit there.
            #expect(outputs[ACLBudget.originPrefixesKey] == nil)
            #expect(outputs["origin_acl_limit"] == "10000 (Dedicated, read from the control plane)")
            if kind == "Freight" {
                // No such cluster in the environment the playbook names (404): that field is wrong, no assumed limit.
                var misplaced = playbook.jump
                misplaced.environment = "env-elsewhere"
                do {
                    let limit = try await executor.aclLimit(misplaced)
                    Issue.record("a 404 for the jump's type was taken as a limit: \(limit.recorded)")
                } catch let error as StepFailure {
                    #expect(!error.isRetryable)
                    #expect(error.message.contains("check jump.environment"), "\(error.message)")
                }
            }
            _ = await context.close(sweepStale: false)
            context.credentials.wipe()
            await simulator.stop()
        }
    }

    @Test("a rollout of 340 topics through a Standard jump succeeds on PREFIXED bindings under its 1,000 ACLs")
    func standardJumpRollout() async throws {
        let world = try Self.ordersWorld(jumpKind: "Standard")
        let jump = SimulatorConfig.JumpDemo.jump
        let state = NSTemporaryDirectory() + "jumpchain-aclkind-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let file = state + "/standard.yaml"
        try Self.prefixedDemo().write(toFile: file, atomically: true, encoding: .utf8)
        let simulator = try await Simulator.start(world, revealOperatorSecrets: true)
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "100"
        let options = Rollout.Options(stateDirectory: state + "/runs", environment: environment)
        let report = try await Rollout.apply(playbookPath: file, options: options)
        #expect(report.status == .succeeded, "\(report)")
        let json = (try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8))) as? [String: Any]
        let jumpTopicACLs = ((json?["acls"] as? [[String: Any]]) ?? []).filter {
            ($0["cluster_id"] as? String) == jump && ($0["resource_type"] as? String) == "TOPIC"
        }.map { "\($0["pattern_type"] ?? "?") \($0["resource_name"] ?? "?")" }
        #expect(Set(jumpTopicACLs) == ["PREFIXED j."], "\(Set(jumpTopicACLs))")
        // The LITERAL bindings would not have fit: the simulator holds a Standard cluster to its limit.
        let (playbook, _) = try Rollout.loadPlaybook(file, environment: environment)
        let context = try RunSession.makeContext(playbook, runName: playbook.runName, options: options)
        let topics = Self.ordersTopics
        let literal = RolloutExecutor.wantedJumpACLs(playbook, jumpMirrors: topics.map { "j." + $0 })
        do {
            try await context.jump().createACLs(literal)
            Issue.record("a Standard cluster took \(literal.count) more ACLs")
        } catch {
            #expect("\(error)".contains("limit of 1000 ACLs (a Standard cluster"), "\(error)")
        }
        _ = await context.close(sweepStale: false)
        context.credentials.wipe()
        await simulator.stop()
    }

    @Test("first site off the origin: the origin's site decides its budget; destroy keeps the owner's own bindings")
    func originBudgetAtItsSite() async throws {
        var world = SimulatorConfig.jumpDemo()
        let origin = SimulatorConfig.JumpDemo.origin
        let principal = "User:\(SimulatorConfig.JumpDemo.linkServiceAccount)"
        // A binding the run wants on the origin that its owner held before: not the run's to delete.
        world.acls.append(
            SimulatorConfig.ACL(
                cluster: origin, principal: principal, resourceType: "TOPIC", resourceName: "orders", operation: "READ")
        )
        // Another chain's PREFIXED set for the same principal: this run does not lean on it (that chain's destroy
        // would delete it), so it grants its own LITERAL bindings.
        for operation in ACLBudget.topicOperations {
            world.acls.append(
                SimulatorConfig.ACL(
                    cluster: origin, principal: principal, resourceType: "TOPIC", resourceName: "order",
                    patternType: "PREFIXED", operation: operation))
        }
        let path = Self.demoPlaybook
        let state = NSTemporaryDirectory() + "jumpchain-aclbudget-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let variant = state + "/sites.yaml"
        try
            (String(contentsOfFile: path, encoding: .utf8)
            + "\nsites:\n  target-side: {reaches: [target]}\n  origin-side: {reaches: [origin]}\n")
            .write(toFile: variant, atomically: true, encoding: .utf8)
        let simulator = try await Simulator.start(world, revealOperatorSecrets: true)
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "100"
        var options = Rollout.Options(stateDirectory: state + "/runs", environment: environment)
        var report: Rollout.Report?
        for turn in 0..<8 where report == nil {
            options.site = turn % 2 == 0 ? "target-side" : "origin-side"
            do {
                if turn == 0 {
                    report = try await Rollout.apply(playbookPath: variant, options: options)
                } else {
                    report = try await Rollout.resume(run: "jump-demo", options: options)
                }
            } catch {
                guard error.code == .otherSiteTurn else { throw error }
            }
        }
        #expect(report?.status == .succeeded)
        func originBinding(_ operation: String = "READ") -> Bool {
            let json = (try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8))) as? [String: Any]
            return ((json?["acls"] as? [[String: Any]]) ?? []).contains {
                ($0["cluster_id"] as? String) == origin && ($0["principal"] as? String) == principal
                    && ($0["resource_name"] as? String) == "orders" && ($0["operation"] as? String) == operation
                    && ($0["pattern_type"] as? String ?? "LITERAL") == "LITERAL"
            }
        }
        #expect(originBinding())
        #expect(originBinding("DESCRIBE"), "the run leaned on another chain's PREFIXED binding")
        options.site = nil
        let outcome = try await Teardown.destroy(
            Teardown.Request(run: "jump-demo", targetTopics: .keep), options: options)
        guard case .done(let teardown, _) = outcome else {
            Issue.record("destroy did not run: \(outcome)")
            await simulator.stop()
            return
        }
        #expect(teardown.status == .succeeded)
        #expect(originBinding(), "destroy deleted a binding the origin's owner held before the run")
        await simulator.stop()
    }

    @Test(
        "a rollout near the limit grants PREFIXED bindings on both clusters, an update reuses them; destroy deletes them"
    )
    func prefixedRolloutAndDestroy() async throws {
        var world = SimulatorConfig.jumpDemo()
        let origin = SimulatorConfig.JumpDemo.origin
        let jump = SimulatorConfig.JumpDemo.jump
        for name in ["orders.eu", "orders.us"] {
            world.topics.append(SimulatorConfig.Topic(cluster: origin, name: name, partitions: 1))
        }
        let state = NSTemporaryDirectory() + "jumpchain-aclbudget-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: state) }
        let text = try Self.prefixedDemo()
        let variant = state + "/prefixed.yaml"
        try text.write(toFile: variant, atomically: true, encoding: .utf8)

        // Fill both clusters so that the run's LITERAL bindings pass the limit and its PREFIXED ones just fit.
        let simulatorProbe = try await Simulator.start(world, revealOperatorSecrets: true)
        let probeEnvironment = simulatorProbe.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        let (playbook, _) = try Rollout.loadPlaybook(variant, environment: probeEnvironment)
        await simulatorProbe.stop()
        let topics = ["_jumpchain.canary", "orders", "orders.eu", "orders.us"]
        let jumpCompact = RolloutExecutor.wantedJumpACLs(
            playbook, jumpMirrors: topics.map { "j." + $0 }, prefixes: ["j."])
        let jumpLiteral = RolloutExecutor.wantedJumpACLs(playbook, jumpMirrors: topics.map { "j." + $0 })
        let originCompact = RolloutExecutor.wantedOriginACLs(playbook, topics: topics, prefixes: ["orders"])
        #expect(jumpLiteral.count > jumpCompact.count)
        for (cluster, count) in [(jump, jumpCompact.count), (origin, originCompact.count)] {
            let existing = world.acls.filter { $0.cluster == cluster }.count
            for index in 0..<(ACLBudget.clusterLimit - existing - count) {
                world.acls.append(
                    SimulatorConfig.ACL(
                        cluster: cluster, principal: "User:sa-filler", resourceType: "TOPIC",
                        resourceName: "filler-\(index)", operation: "READ"))
            }
        }
        let simulator = try await Simulator.start(world, revealOperatorSecrets: true)
        var environment = simulator.connectionInfo.playbookEnvironment(
            linkServiceAccount: SimulatorConfig.JumpDemo.linkServiceAccount)
        environment["JUMPCHAIN_POLL_MS"] = "100"
        let options = Rollout.Options(stateDirectory: state + "/runs", environment: environment)
        let report = try await Rollout.apply(playbookPath: variant, options: options)
        #expect(report.status == .succeeded)
        func linkACLs(_ cluster: String) -> [String] {
            let json = (try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8))) as? [String: Any]
            return ((json?["acls"] as? [[String: Any]]) ?? []).filter {
                ($0["cluster_id"] as? String) == cluster && ($0["principal"] as? String) == "User:sa-link01"
                    && ($0["resource_type"] as? String) == "TOPIC"
            }.map { "\($0["pattern_type"] ?? "?") \($0["resource_name"] ?? "?") \($0["operation"] ?? "?")" }.sorted()
        }
        #expect(linkACLs(jump) == ["PREFIXED j. DESCRIBE", "PREFIXED j. DESCRIBE_CONFIGS", "PREFIXED j. READ"])
        #expect(
            Set(linkACLs(origin).map { $0.split(separator: " ").prefix(2).joined(separator: " ") }) == [
                "PREFIXED orders", "LITERAL _jumpchain.canary",
            ])

        // An update adding a topic the chain's prefixes cover reuses them: no LITERAL binding, none over the limit.
        let (live, _) = try Rollout.loadPlaybook(variant, environment: environment)
        let context = try RunSession.makeContext(live, runName: live.runName, options: options)
        try await context.origin.createTopic("orders.ap", partitions: 1)
        _ = await context.close(sweepStale: false)
        context.credentials.wipe()
        let updated = state + "/updated.yaml"
        try text.replacingOccurrences(of: "max_group_lag: 100", with: "max_group_lag: 101")
            .write(toFile: updated, atomically: true, encoding: .utf8)
        let update = try await Rollout.apply(playbookPath: updated, options: options)
        #expect(update.status == .succeeded && update.operation == .update, "\(update)")
        #expect(linkACLs(jump) == ["PREFIXED j. DESCRIBE", "PREFIXED j. DESCRIBE_CONFIGS", "PREFIXED j. READ"])
        #expect(
            Set(linkACLs(origin).map { $0.split(separator: " ").prefix(2).joined(separator: " ") }) == [
                "PREFIXED orders", "LITERAL _jumpchain.canary",
            ])

        // A narrower selection would leave the PREFIXED binding granting a topic the chain no longer mirrors.
        let narrowed = state + "/narrowed.yaml"
        try text.replacingOccurrences(
            of: "patterns: [\"orders.*\"]", with: "patterns: [\"orders.*\"]\n  exclude: [orders.us]"
        )
        .write(toFile: narrowed, atomically: true, encoding: .utf8)
        do {
            _ = try await Rollout.apply(playbookPath: narrowed, options: options)
            Issue.record("a selection narrower than the chain's PREFIXED binding was applied")
        } catch {
            for text in [
                "PREFIXED ACL bindings on `orders`", "orders.us", "nothing was sent", "jumpchain destroy",
                "remove its run directory",
            ] {
                #expect(error.message.contains(text), "missing \(text) in \(error.message)")
            }
        }
        // `plan` shows the same refusal `apply` makes.
        do {
            let (narrowedBook, _) = try Rollout.loadPlaybook(narrowed, environment: environment)
            _ = try await Update.planned(narrowedBook, path: narrowed, prune: false, options: options)
            Issue.record("plan showed an update that apply refuses")
        } catch {
            #expect(error.message.contains("PREFIXED ACL bindings on `orders`"), "\(error.message)")
        }
        #expect(linkACLs(origin).count == 6)

        let outcome = try await Teardown.destroy(
            Teardown.Request(run: playbook.runName, targetTopics: .keep), options: options)
        guard case .done(let teardown, _) = outcome else {
            Issue.record("destroy did not run: \(outcome)")
            await simulator.stop()
            return
        }
        #expect(teardown.status == .succeeded)
        #expect(linkACLs(jump).isEmpty && linkACLs(origin).isEmpty)
        let json = (try? JSONSerialization.jsonObject(with: Data(simulator.stateJSON().utf8))) as? [String: Any]
        let fillers = ((json?["acls"] as? [[String: Any]]) ?? []).filter {
            ($0["principal"] as? String) == "User:sa-filler"
        }
        #expect(
            fillers.count == 2 * ACLBudget.clusterLimit - jumpCompact.count - originCompact.count
                - world.acls.filter { $0.principal != "User:sa-filler" && [jump, origin].contains($0.cluster) }.count)
        await simulator.stop()
    }
}
