import ConfluentSimulator
import Foundation
import JumpchainHTTP
import Testing

extension BinaryTests {
    /// Each failure caught in preflight names the cluster and the fix, exits 3 and changes nothing remotely.
    @Suite("preflight failures change nothing", .serialized)
    struct PreflightCLITests {
        func expectPreflightFailure(
            _ world: DemoWorld, playbook: String? = nil, environment: [String: String] = [:], mentions: [String]
        ) async throws {
            let before = world.remoteFingerprint()
            let result = try await world.jumpchain(["apply", playbook ?? world.demoPlaybook], environment: environment)
            #expect(result.status == 3, "\(result.output)")
            for text in mentions { #expect(result.stderr.contains(text), "missing '\(text)' in: \(result.stderr)") }
            #expect(world.remoteFingerprint() == before)
            #expect(world.liveKeys(on: SimulatorConfig.JumpDemo.jump).isEmpty)
            // Nothing was changed, so no run is left behind: a corrected playbook can simply be applied again.
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo"))
        }

        @Test("origin endpoint blackholed")
        func originBlackholed() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            var faults = FaultSettings()
            faults.blackholed = [SimulatorConfig.JumpDemo.origin]
            world.simulator.setFaults(faults)
            // A blackholed endpoint never answers: short per-request limits keep the test quick.
            try await expectPreflightFailure(
                world, environment: ["JUMPCHAIN_HTTP_TIMEOUT_MS": "1500", "JUMPCHAIN_HTTP_ATTEMPTS": "2"],
                mentions: ["origin (lkc-origin)", "reach"])
        }

        @Test("wrong operator credentials")
        func wrongCredentials() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            try await expectPreflightFailure(
                world, environment: ["JUMPCHAIN_TARGET_SECRET": "not-the-secret"],
                mentions: ["target (lkc-target)", "rejected"])
        }

        /// What leg 1's source half reads the demo's origin with, for the link service account (the owner of the
        /// origin link key jumpchain mints): DESCRIBE on the cluster, READ and DESCRIBE on the topics and the
        /// canary, DESCRIBE on the synced group.
        static func originLinkRights(except omitted: Set<String> = []) -> [SimulatorConfig.ACL] {
            typealias Demo = SimulatorConfig.JumpDemo
            let principal = "User:\(Demo.linkServiceAccount)"
            var acls = [
                SimulatorConfig.ACL(
                    cluster: Demo.origin, principal: principal, resourceType: "CLUSTER",
                    resourceName: "kafka-cluster", operation: "DESCRIBE"),
                SimulatorConfig.ACL(
                    cluster: Demo.origin, principal: principal, resourceType: "GROUP", resourceName: Demo.consumerGroup,
                    operation: "DESCRIBE"),
            ]
            for topic in ["orders", "payments", "inventory", "_jumpchain.canary"] {
                for operation in ["READ", "DESCRIBE"] {
                    acls.append(
                        SimulatorConfig.ACL(
                            cluster: Demo.origin, principal: principal, resourceType: "TOPIC", resourceName: topic,
                            operation: operation))
                }
            }
            return acls.filter { !omitted.contains("\($0.operation) \($0.resourceType) \($0.resourceName)") }
        }

        @Test("ACLs over the cluster's limit with no prefix to stand for the topics: refused naming count, limit, fix")
        func aclLimit() async throws {
            var config = SimulatorConfig.jumpDemo()
            // The jump holds 9,995 ACLs of someone else: the demo's LITERAL bindings (3 per topic) do not fit.
            for index in 0..<9_995 {
                config.acls.append(
                    SimulatorConfig.ACL(
                        cluster: SimulatorConfig.JumpDemo.jump, principal: "User:sa-filler", resourceType: "TOPIC",
                        resourceName: "filler-\(index)", operation: "READ"))
            }
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            try await expectPreflightFailure(
                world,
                mentions: [
                    "jump \(SimulatorConfig.JumpDemo.jump): the run would add", "to the 9995 the cluster holds",
                    "limit of 10000 ACLs", "set a cluster.link.prefix in link.leg1_options", "link.manage_acls: false",
                ])
        }

        @Test("link principal lacking ALTER when ACLs are not managed")
        func lackingAlter() async throws {
            // The origin link key's owner holds what leg 1 reads with, so the origin passes and the jump is checked.
            var config = SimulatorConfig.jumpDemo()
            config.acls += Self.originLinkRights()
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "no-acls",
                replacing: [
                    (
                        "  service_account: ${JUMPCHAIN_LINK_SA}",
                        "  service_account: ${JUMPCHAIN_LINK_SA}\n  manage_acls: false"
                    )
                ])
            try await expectPreflightFailure(world, playbook: playbook, mentions: ["lacks ALTER", "manage_acls"])
        }

        @Test("manage_acls: false, minted origin key: an owner lacking READ or group DESCRIBE is refused, named")
        func mintedOriginKeyOwnerLackingRights() async throws {
            typealias Demo = SimulatorConfig.JumpDemo
            var config = SimulatorConfig.jumpDemoLeastPrivilege()
            config.acls += Self.originLinkRights(except: [
                "READ TOPIC payments", "DESCRIBE GROUP \(Demo.consumerGroup)",
            ])
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "no-acls-minted",
                replacing: [
                    (
                        "  service_account: ${JUMPCHAIN_LINK_SA}",
                        "  service_account: ${JUMPCHAIN_LINK_SA}\n  manage_acls: false"
                    )
                ])
            let before = world.remoteFingerprint()
            let result = try await world.jumpchain(["apply", playbook])
            #expect(result.status == 3, "\(result.output)")
            let expected =
                "origin \(Demo.origin): User:\(Demo.linkServiceAccount) (link.service_account), the owner of the "
                + "origin link key jumpchain mints for leg 1's source half, lacks READ on TOPIC payments, DESCRIBE on "
                + "GROUP \(Demo.consumerGroup) (link.manage_acls is false, so jumpchain creates no ACLs); grant them "
                + "to User:\(Demo.linkServiceAccount) on the origin, or set link.manage_acls: true"
            #expect(result.stderr.contains(expected), "\(result.stderr)")
            #expect(!result.stderr.contains("READ on TOPIC orders"), "granted rights are not named: \(result.stderr)")
            // Refused before any change: no origin link key, no jump session key, nothing else.
            #expect(world.remoteFingerprint() == before)
            #expect(world.liveOriginLinkKeys().isEmpty)
            #expect(world.liveKeys(on: Demo.jump).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo"))
        }

        @Test("origin_local_credentials whose owner lacks READ: refused naming it, warned as the operator's own key")
        func localCredentialsLackingRights() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "operator-local",
                replacing: [
                    (
                        "  service_account: ${JUMPCHAIN_LINK_SA}",
                        "  service_account: ${JUMPCHAIN_LINK_SA}\n  origin_local_credentials:\n"
                            + "    key: ${JUMPCHAIN_ORIGIN_KEY}\n    secret: env:JUMPCHAIN_ORIGIN_SECRET"
                    )
                ])
            try await expectPreflightFailure(
                world, playbook: playbook,
                mentions: [
                    "User:\(SimulatorConfig.JumpDemo.operatorUser), the owner of link.origin_local_credentials, lacks",
                    "READ on TOPIC orders", "DESCRIBE on GROUP",
                    "warning: link.origin_local_credentials is the "
                        + "operator's own origin key", "owned by the user \(SimulatorConfig.JumpDemo.operatorUser)",
                ])
            #expect(world.liveOriginLinkKeys().isEmpty, "no origin link key is minted for user-supplied credentials")
        }

        @Test("a topic missing on the origin")
        func missingTopic() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let playbook = try world.playbookVariant(
                "missing-topic", replacing: [("names: [orders, payments, inventory]", "names: [orders, refunds]")])
            try await expectPreflightFailure(world, playbook: playbook, mentions: ["refunds", "do not exist"])
        }

        @Test("a link name taken by a foreign link")
        func foreignLink() async throws {
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            // Someone else's link on the target with leg 2's name.
            let playbook = try world.playbookVariant(
                "foreign", replacing: [("leg2: demo-jump-to-target", "leg2: taken-by-someone")])
            try await ForeignLink.create(world, name: "taken-by-someone")
            try await expectPreflightFailure(
                world, playbook: playbook, mentions: ["taken-by-someone", "did not create"])
        }
    }

    /// The link keys are minted alongside the session key, before the jump's checks (so that they propagate
    /// together): a refusal of those checks still leaves no key live, the link keys minted for it revoked.
    @Suite("preflight: link keys minted early", .serialized)
    struct EarlyLinkKeyCLITests {
        @Test("a refusal of the jump's checks revokes the link key and origin link key minted before it")
        func jumpRefusalRevokesEarlyLinkKeys() async throws {
            typealias Demo = SimulatorConfig.JumpDemo
            var config = SimulatorConfig.jumpDemo()
            // A plain topic on the jump with the name of a jump mirror: refused by the preflight's jump checks.
            config.topics.append(SimulatorConfig.Topic(cluster: Demo.jump, name: "orders", partitions: 1))
            let world = try await DemoWorld.start(config: config)
            defer { Task { await world.stop() } }
            try await PreflightCLITests().expectPreflightFailure(
                world, mentions: ["jump \(Demo.jump): topic orders already exists"])
            let keys = (world.state()["api_keys"] as? [[String: Any]]) ?? []
            func linkKeys(on cluster: String) -> [[String: Any]] {
                keys.filter {
                    ($0["owner"] as? String) == Demo.linkServiceAccount && ($0["resource"] as? String) == cluster
                }
            }
            // Minted (one each: the jump keeps one link key), and revoked by the failed run's exit path.
            #expect(linkKeys(on: Demo.jump).count == 1)
            #expect(linkKeys(on: Demo.origin).count == 1)
            #expect(linkKeys(on: Demo.jump).allSatisfy { ($0["revoked"] as? Bool) == true })
            #expect(world.liveOriginLinkKeys().isEmpty)
        }

        /// The demo world with a plain jump topic named like a jump mirror: the preflight's jump checks refuse it.
        static func refusingWorld() async throws -> DemoWorld {
            var config = SimulatorConfig.jumpDemo()
            config.topics.append(
                SimulatorConfig.Topic(cluster: SimulatorConfig.JumpDemo.jump, name: "orders", partitions: 1))
            return try await DemoWorld.start(config: config)
        }

        @Test("keys minted by a preflight killed before its end are revoked by the next preflight, even a refusing one")
        func killedPreflightKeysRevokedOnResume() async throws {
            typealias Demo = SimulatorConfig.JumpDemo
            let world = try await Self.refusingWorld()
            defer { Task { await world.stop() } }
            // The jump never answers: after minting the link keys the preflight waits on the session key, and is
            // killed there (the keys' ids only in its memory).
            world.faults { $0.blackholed = [Demo.jump] }
            let running = try world.start(["apply", world.demoPlaybook])
            let guardTime = Date().addingTimeInterval(60)
            while running.process.isRunning, Date() < guardTime,
                world.liveJumpKeys(ownedBy: Demo.linkServiceAccount).isEmpty || world.liveOriginLinkKeys().isEmpty
            {
                try await Task.sleep(for: .milliseconds(5))
            }
            running.kill()
            let killed = await running.wait()
            world.record(killed)
            world.faults { _ in }
            let orphans = world.liveJumpKeys(ownedBy: Demo.linkServiceAccount) + world.liveOriginLinkKeys()
            try #require(orphans.count == 2, "the killed preflight did not mint both keys: \(killed.output)")

            let resumed = try await world.jumpchain(["resume", "jump-demo"])
            #expect(resumed.status == 4, "\(resumed.output)")
            #expect(resumed.stderr.contains("topic orders already exists"), "\(resumed.stderr)")
            for key in orphans {
                #expect(resumed.stderr.contains("link key \(key), which an earlier process"), "\(resumed.stderr)")
            }
            #expect(world.liveJumpKeys(ownedBy: Demo.linkServiceAccount).isEmpty)
            #expect(world.liveOriginLinkKeys().isEmpty)
            #expect(world.liveJumpKeys(ownedBy: Demo.operatorUser).isEmpty)
        }

        @Test("a refused run whose link keys cannot be revoked names them, exits 6 and stays for resume to revoke them")
        func unrevokableEarlyLinkKeys() async throws {
            typealias Demo = SimulatorConfig.JumpDemo
            let world = try await Self.refusingWorld()
            defer { Task { await world.stop() } }
            world.faults { $0.failingRequests = ["control-plane DELETE /iam/v2/api-keys"] }
            let applied = try await world.jumpchain(
                ["apply", world.demoPlaybook], environment: ["JUMPCHAIN_HTTP_ATTEMPTS": "2"])
            world.faults { _ in }
            let left = [
                ("link key", world.liveJumpKeys(ownedBy: Demo.linkServiceAccount)),
                ("origin link key", world.liveOriginLinkKeys()),
            ]
            #expect(applied.status == 6, "\(applied.output)")
            #expect(applied.stderr.contains("topic orders already exists"), "\(applied.stderr)")
            for (kind, keys) in left {
                #expect(keys.count == 1, "live \(kind)s: \(keys)")
                for key in keys {
                    #expect(applied.stderr.contains("\(kind) \(key):"), "the live key is not named: \(applied.stderr)")
                    #expect(!applied.stderr.contains("revoked \(kind) \(key)"), "\(applied.stderr)")
                }
            }
            #expect(applied.stderr.contains("`jumpchain resume jump-demo`"), "\(applied.stderr)")
            #expect(FileManager.default.fileExists(atPath: world.stateDirectory + "/jump-demo"), "the run was removed")

            let resumed = try await world.jumpchain(["resume", "jump-demo"])
            #expect(resumed.status == 4, "\(resumed.output)")
            #expect(world.liveJumpKeys(ownedBy: Demo.linkServiceAccount).isEmpty)
            #expect(world.liveOriginLinkKeys().isEmpty)
            #expect(world.liveJumpKeys(ownedBy: Demo.operatorUser).isEmpty)
        }
    }

    /// Creates a link the rollout did not create, through the simulator's REST API with the target's operator key.
    enum ForeignLink {
        static func create(_ world: DemoWorld, name: String) async throws {
            let info = world.simulator.connectionInfo
            guard let key = info.operatorKeys.first(where: { $0.resource == SimulatorConfig.JumpDemo.target }) else {
                Issue.record("no target operator key")
                return
            }
            let url =
                world.simulator.clusterRESTURL(clusterID: SimulatorConfig.JumpDemo.target)
                + "/kafka/v3/clusters/\(SimulatorConfig.JumpDemo.target)/links?link_name=\(name)&validate_link=false"
            let body = """
                {"source_cluster_id":"\(SimulatorConfig.JumpDemo.origin)","configs":[{"name":"link.mode","value":"DESTINATION"},\
                {"name":"bootstrap.servers","value":"\(world.simulator.bootstrap(clusterID: SimulatorConfig.JumpDemo.origin))"}]}
                """
            let response = try await HTTPClient().execute(
                HTTPRequest(
                    method: .post, url: url, headers: ["Content-Type": "application/json"], body: Array(body.utf8),
                    credential: APICredential(key: key.id, secret: Secret(key.secret))))
            #expect((200..<300).contains(response.status), "creating the foreign link answered \(response.status)")
        }
    }
}
