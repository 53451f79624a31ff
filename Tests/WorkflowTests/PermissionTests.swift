import Foundation
import Testing

@testable import Workflow

/// A run directory or state file others could read, or that another user owns, is refused with the path
/// and the `chmod` that fixes it; new ones are created private.
@Suite struct PermissionTests {
    private func makeRun(_ directory: TemporaryDirectory) throws {
        _ = try RunStore.create(
            directory: directory.path, runName: "p", plan: try Plan(steps: [StepSpec(id: "a", kind: "k")]))
    }

    private func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
    }

    @Test func newRunsArePrivate() throws {
        let directory = TemporaryDirectory("perm-new")
        defer { directory.cleanUp() }
        let run = directory.path + "/nested/run"
        _ = try RunStore.create(directory: run, runName: "p", plan: try Plan(steps: [StepSpec(id: "a", kind: "k")]))
        #expect(mode(run) == 0o700)
        #expect(mode(RunDirectory.storePath(run)) == 0o600)
        _ = try RunStore.open(directory: run)
    }

    @Test func aLooseRunDirectoryIsRefusedWithTheFix() throws {
        let directory = TemporaryDirectory("perm-dir")
        defer { directory.cleanUp() }
        try makeRun(directory)
        chmod(directory.path, 0o755)
        let error = #expect(throws: WorkflowError.self) { try RunStore.open(directory: directory.path) }
        #expect(error?.code == .insecurePermissions)
        #expect(
            error?.message == "the run directory '\(directory.path)' has mode 755, looser than 700: other users could "
                + "read the run's state; fix it with `chmod 700 \(directory.path)`")
        chmod(directory.path, 0o700)
        _ = try RunStore.open(directory: directory.path)
    }

    @Test func aLooseStateFileIsRefusedWithTheFix() throws {
        let directory = TemporaryDirectory("perm-file")
        defer { directory.cleanUp() }
        try makeRun(directory)
        let store = RunDirectory.storePath(directory.path)
        chmod(store, 0o640)
        let error = #expect(throws: WorkflowError.self) { try RunStore.open(directory: directory.path) }
        #expect(error?.code == .insecurePermissions)
        #expect(error?.message.contains("'\(store)' has mode 640") == true)
        #expect(error?.message.hasSuffix("fix it with `chmod 600 \(store)`") == true)
        // Creating over an existing loose directory is refused the same way.
        chmod(store, 0o600)
        chmod(directory.path, 0o775)
        let again = #expect(throws: WorkflowError.self) {
            try RunStore.create(
                directory: directory.path, runName: "p", plan: try Plan(steps: [StepSpec(id: "a", kind: "k")]))
        }
        #expect(again?.code == .insecurePermissions)
    }
}
