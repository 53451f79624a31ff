import Foundation
import JumpchainCore
import JumpchainHTTP
import Testing

@Suite("Playbook secret references")
struct PlaybookSecretTests {
    @Test func fileReferenceWithMode0644IsRefusedAt0600Accepted() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let secretPath = scratch.write("origin.secret", "s3cr3t-value-from-file\n", mode: 0o644)
        let text = validPlaybook.replacingLine("    secret: env:ORIGIN_SECRET", with: "    secret: file:origin.secret")
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:17:13: error: `origin.credentials.secret`: secret file `\(scratch.directory)/origin.secret` has mode 0644 but must be readable by its owner only (0600 or 0400); run `chmod 600 \(scratch.directory)/origin.secret`"
                    .replacingOccurrences(of: scratch.directory + "/", with: "")
            ])
        chmod(secretPath, 0o600)
        let path = scratch.write("pb.yaml", text)
        let (playbook, diagnostics) = try PlaybookLoader.load(path: path, environment: [:])
        #expect(diagnostics.isEmpty)
        #expect(playbook.origin.credentials?.secret == .file(secretPath))
        let credential = try #require(playbook.origin.credentials).resolve(environment: [:], stdin: .none)
        #expect(credential.key == "ORIGINKEY")
        #expect(credential.secret.withUTF8String { $0 } == "s3cr3t-value-from-file")
        // Checked again when read: a file loosened after loading is refused.
        chmod(secretPath, 0o640)
        #expect {
            _ = try SecretReference.file(secretPath).resolve(environment: [:], stdin: .none)
        } throws: { error in
            let error = error as? PlaybookError
            return error?.code == .secretFileInsecure && error?.message.contains("chmod 600 \(secretPath)") == true
                && error?.message.contains("s3cr3t") == false
        }
        chmod(secretPath, 0o400)
        #expect(try SecretReference.file(secretPath).resolve(environment: [:], stdin: .none).byteCount == 22)
    }

    @Test func missingAndDirectorySecretFilesAreRefusedAtLoad() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let missing = validPlaybook.replacingLine(
            "    secret: env:TARGET_SECRET", with: "    secret: file:/nonexistent/target.secret")
        #expect(
            scratch.diagnostics(missing) == [
                "pb.yaml:36:13: error: `target.credentials.secret`: secret file `/nonexistent/target.secret` cannot be read: No such file or directory"
            ])
        let directory = validPlaybook.replacingLine("    secret: env:TARGET_SECRET", with: "    secret: file:/tmp")
        #expect(
            scratch.diagnostics(directory) == [
                "pb.yaml:36:13: error: `target.credentials.secret`: secret file `/tmp` is not a regular file"
            ])
    }

    @Test func missingEnvironmentVariableNamesTheVariableAndTheField() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let (playbook, _) = try PlaybookLoader.load(path: scratch.write("pb.yaml", validPlaybook), environment: [:])
        #expect {
            _ = try playbook.target.credentials?.resolve(environment: ["ORIGIN_SECRET": "x"], stdin: .none)
        } throws: { error in
            (error as? PlaybookError)?.message
                == "environment variable `TARGET_SECRET` (for `target.credentials.secret`) is not set; export it before running jumpchain"
        }
        let credential = try #require(playbook.target.credentials).resolve(
            environment: ["TARGET_SECRET": "target-secret-value"], stdin: .none)
        #expect(credential.secret.withUTF8String { $0 } == "target-secret-value")
        #expect("\(credential)" == "APICredential(key: TARGETKEY, secret: <redacted>)")
    }

    @Test func literalSecretsAreRefusedWithoutEchoingThem() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let literal = "kP9vQ2xR7tLm4NwZ8bYc3FhJ6dSa1GeU"
        let text =
            validPlaybook
            .replacingLine("    secret: env:ORIGIN_SECRET", with: "    secret: \(literal)")
            .replacingLine("    secret: env:TARGET_SECRET", with: "    secret: vault:kv/target")
        let diagnostics = scratch.diagnostics(text)
        #expect(
            diagnostics == [
                "pb.yaml:17:13: error: `origin.credentials.secret` holds a literal value; playbooks never contain secrets: use `env:VAR`, `file:PATH` (mode 0600) or `stdin`",
                "pb.yaml:36:13: error: `target.credentials.secret`: unknown reference `vault:`; use `env:VAR`, `file:PATH` (mode 0600) or `stdin`",
            ])
        #expect(!diagnostics.joined().contains(literal))
    }

    @Test func errorOutputNeverContainsSecretValues() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let secret = "very-private-ORIGIN-secret-4711"
        let environment = ["ORIGIN_SECRET": secret, "LEAK": secret]
        // Errors next to a valid reference, and a secret smuggled through substitution into other fields.
        let text =
            validPlaybook
            .replacingLine("  id: lkc-jump1", with: "  id: ${LEAK}")
            .replacingLine("  rest_endpoint: https://target.example:443", with: "  rest_endpoint: ${LEAK}")
            .replacingLine("    secret: env:TARGET_SECRET", with: "    secret: ${LEAK}")
            .replacingLine("  names: [orders]", with: "  names: ['${LEAK}!']")
        let path = scratch.write("pb.yaml", text)
        var output = ""
        do {
            _ = try PlaybookLoader.load(path: path, environment: environment)
            Issue.record("expected errors")
        } catch {
            output = "\(error)"
            #expect(error.diagnostics.count == 4)
        }
        #expect(!output.isEmpty)
        #expect(!output.contains(secret))
        // Resolution errors do not contain it either.
        let (playbook, _) = try PlaybookLoader.load(
            path: scratch.write("ok.yaml", validPlaybook), environment: environment)
        do {
            _ = try playbook.controlPlane.credentials.resolve(environment: environment, stdin: .none)
        } catch {
            #expect(!"\(error)".contains(secret))
        }
    }

    @Test func stdinReferencesReadOneLineEachInTheDocumentedOrder() throws {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text =
            validPlaybook
            .replacingLine("    key: CLOUDKEY", with: "    key: stdin")
            .replacingLine("    secret: env:CLOUD_SECRET", with: "    secret: stdin")
            .replacingLine("    secret: env:TARGET_SECRET", with: "    secret: stdin")
        let (playbook, _) = try PlaybookLoader.load(path: scratch.write("pb.yaml", text), environment: [:])
        #expect(
            playbook.stdinOrder == [
                "control_plane.credentials.key", "control_plane.credentials.secret", "target.credentials.secret",
            ])
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let input = "CLOUDKEY123\ncloud-secret\r\ntarget-secret\n"
        _ = input.withCString { write(fds[1], $0, strlen($0)) }
        close(fds[1])
        defer { close(fds[0]) }
        let stdin = StdinSecrets(order: playbook.stdinOrder, fileDescriptor: fds[0])
        // Resolve out of order: the target first still gets the third line.
        let target = try #require(playbook.target.credentials).resolve(environment: [:], stdin: stdin)
        #expect(target.secret.withUTF8String { $0 } == "target-secret")
        let cloud = try playbook.controlPlane.credentials.resolve(environment: [:], stdin: stdin)
        #expect(cloud.key == "CLOUDKEY123")
        #expect(cloud.secret.withUTF8String { $0 } == "cloud-secret")
        #expect(throws: PlaybookError.self) {
            _ = try StdinSecrets(order: ["a", "b"], fileDescriptor: fds[0]).secret(for: "b")
        }
    }

    @Test func malformedReferencesAreReported() {
        let scratch = PlaybookScratch()
        defer { scratch.remove() }
        let text =
            validPlaybook
            .replacingLine("    key: CLOUDKEY", with: "    key: env:1BAD")
            .replacingLine("    secret: env:ORIGIN_SECRET", with: "    secret: 'file:'")
            .replacingLine("    key: TARGETKEY", with: "    key: not a key")
        #expect(
            scratch.diagnostics(text) == [
                "pb.yaml:3:10: error: `control_plane.credentials.key`: `env:` must be followed by a variable name (letters, digits, `_`), like `env:ORIGIN_SECRET`",
                "pb.yaml:17:13: error: `origin.credentials.secret`: `file:` must be followed by a path, like `file:/etc/jumpchain/origin.secret`",
                "pb.yaml:35:10: error: `target.credentials.key` must be an API key id (letters and digits) or a reference `env:VAR`, `file:PATH` or `stdin`",
            ])
    }
}
