import Foundation
import JumpchainCore
import JumpchainHTTP
import Testing

@Suite("Playbook link options and properties files")
struct PlaybookOptionsTests {
    @Test func propertiesParsingFollowsJavaRules() throws {
        let text = """
            # comment
            ! also a comment
              
            a=1
            b : two words  
            c   three
            d=first \\
               second\\
            third
            e\\=key=x\\ty\\u0041
            f=
            comment.continues=# not a comment
            # trailing comment \\
            g=after
            a=again
            """
        let file = try PropertiesFile.parse(text: text, file: "x.properties")
        #expect(
            file.values == [
                "a": "again", "b": "two words  ", "c": "three", "d": "first secondthird", "e=key": "x\tyA", "f": "",
                "comment.continues": "# not a comment", "g": "after",
            ])
        #expect(
            file.entries.first { $0.key == "d" }?.location
                == DiagnosticLocation(file: "x.properties", line: 7, column: 1))
        #expect(
            file.diagnostics.map(\.description) == [
                "x.properties:15:1: warning: `a` is set again (first on line 4); the later value wins"
            ])
    }

    @Test func propertiesErrorsNameTheFileAndLine() {
        #expect {
            _ = try PropertiesFile.parse(text: "ok=1\n  bad=\\u12G4\n=novalue\n", file: "link.properties")
        } throws: { error in
            (error as? PlaybookError)?.diagnostics.map(\.description) == [
                "link.properties:2:7: error: malformed `\\uXXXX` escape: expected four hexadecimal digits",
                "link.properties:3:1: error: missing key before `=` or `:`; write `name=value`",
            ]
        }
    }

    @Test func optionsMergeFileUnderInlineUnderPerLeg() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        scratch.write(
            "link.properties",
            "consumer.offset.sync.enable=false\ntopic.config.sync.ms: 5000\nacl.sync.ms=1000\n")
        let text = validPlaybook.replacingLine(
            "  service_account: sa-link1",
            with: """
                  service_account: sa-link1
                  options_file: link.properties
                  options:
                    consumer.offset.sync.enable: true
                    consumer.offset.sync.ms: 10000
                  leg1_options:
                    cluster.link.prefix: "eu."
                  leg2_options:
                    topic.config.sync.ms: "2000"
                """)
        let (playbook, diagnostics) = try PlaybookLoader.load(path: scratch.write("pb.yaml", text), environment: [:])
        #expect(diagnostics.isEmpty)
        #expect(
            playbook.link.leg1Options == [
                "consumer.offset.sync.enable": "true", "consumer.offset.sync.ms": "10000",
                "topic.config.sync.ms": "5000",
                "acl.sync.ms": "1000", "cluster.link.prefix": "eu.",
            ])
        #expect(
            playbook.link.leg2Options == [
                "consumer.offset.sync.enable": "true", "consumer.offset.sync.ms": "10000",
                "topic.config.sync.ms": "2000",
                "acl.sync.ms": "1000",
            ])
    }

    @Test func managedUnknownAndBadOptionsAreRejected() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        scratch.write("bad.properties", "# header\nsasl.jaas.config=org.apache...\nacl.sync.ms=soon\n")
        let text = validPlaybook.replacingLine(
            "  service_account: sa-link1",
            with: """
                  service_account: sa-link1
                  options_file: bad.properties
                  options:
                    link.mode: SOURCE
                    local.sasl.mechanism: PLAIN
                    consumer.ofset.sync.enable: "true"
                    request.timeout.ms: "100"
                    consumer.offset.group.filters: '{not json'
                """)
        let diagnostics = scratch.diagnostics(text)
        let managed =
            "cannot be set in a playbook: jumpchain sets the link mode, bootstrap and credential configs itself (origin `local.*` from `link.origin_local_credentials`, the jump's from the link key)"
        #expect(
            diagnostics == [
                "bad.properties:2:1: error: link config `sasl.jaas.config` \(managed)",
                "bad.properties:3:1: error: `acl.sync.ms` must be a whole number of milliseconds",
                "pb.yaml:41:5: error: link config `link.mode` \(managed)",
                "pb.yaml:42:5: error: link config `local.sasl.mechanism` \(managed)",
                "pb.yaml:43:5: error: unknown link config `consumer.ofset.sync.enable`; did you mean `consumer.offset.sync.enable`? known configs: acl.filters, acl.sync.enable, acl.sync.ms, auto.create.mirror.topics.enable, auto.create.mirror.topics.filters, cluster.link.prefix, consumer.group.prefix.enable, consumer.offset.group.filters, consumer.offset.sync.enable, consumer.offset.sync.ms, mirror.start.offset.spec, topic.config.sync.include, topic.config.sync.ms",
                "pb.yaml:44:5: error: link config `request.timeout.ms` is read-only on Confluent Cloud",
                "pb.yaml:45:36: error: `consumer.offset.group.filters` must be a JSON filter document (for example `{\"groupFilters\": [...]}`), found `{not json`",
            ])
    }

    @Test func aclSyncWithoutFiltersWarns() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine(
            "  service_account: sa-link1",
            with: "  service_account: sa-link1\n  leg2_options:\n    acl.sync.enable: true")
        let (_, diagnostics) = try PlaybookLoader.load(path: scratch.write("pb.yaml", text), environment: [:])
        #expect(
            diagnostics.map { scratch.strip($0.description) } == [
                "pb.yaml:37:1: warning: leg 2: `acl.sync.enable` is true without `acl.filters`: the link's AclSync task will fail"
            ])
    }

    @Test func linkSettingsOverridesAndChecks() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine(
            "  service_account: sa-link1",
            with: """
                  service_account: sa-link1
                  names: {leg1: eu-to-jump, leg2: jump-to-us}
                  origin_local_credentials: {key: env:LOCAL_KEY, secret: env:LOCAL_SECRET}
                  origin_principal: sa-orig1
                """)
        let (playbook, _) = try PlaybookLoader.load(path: scratch.write("pb.yaml", text), environment: [:])
        #expect(playbook.link.leg1Name == "eu-to-jump")
        #expect(playbook.link.leg2Name == "jump-to-us")
        #expect(playbook.link.originPrincipal == "User:sa-orig1")
        let local = try #require(playbook.link.originLocalCredentials)
        #expect(!playbook.link.mintsOriginKey)
        #expect(local.key == .reference(.env("LOCAL_KEY")))
        let credential = try local.resolve(environment: ["LOCAL_KEY": "LK1", "LOCAL_SECRET": "ls"], stdin: .none)
        #expect(credential.key == "LK1")
        #expect(playbook.credentialReferences.map(\.field).last == "link.origin_local_credentials")

        let bad = validPlaybook.replacingLine(
            "  service_account: sa-link1",
            with: """
                  service_account: sa-link1
                  names: {leg1: "eu to jump"}
                  manage_acls: false
                  origin_principal: User:sa-x
                  origin_local_credentials: {key: LK}
                """)
        #expect(
            scratch.diagnostics(bad) == [
                "pb.yaml:39:17: error: `link.names.leg1` must be a link name (letters, digits, `.`, `_`, `-`), found `eu to jump`",
                "pb.yaml:41:21: warning: `link.origin_principal` is ignored because `link.manage_acls` is false",
                "pb.yaml:42:3: error: missing required key `secret` in `link.origin_local_credentials`: expected a secret reference: `env:VAR`, `file:PATH` (mode 0600) or `stdin`",
            ])
    }

    @Test func excludePatternsAreCheckedToo() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text = validPlaybook.replacingLine("  names: [orders]", with: "  names: [orders]\n  exclude: [\"a[b\"]")
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:41:17: error: invalid regular expression in `topics.exclude[0]`: expected ']' at character 4 of the pattern"
            ])
    }
}
