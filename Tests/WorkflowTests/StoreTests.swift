import Foundation
import Testing

@testable import Workflow

@Suite struct StoreTests {
    private func makeStore(_ directory: String) throws -> RunStore {
        try RunStore.create(
            directory: directory, runName: "orders", plan: try Plan(steps: [StepSpec(id: "a", kind: "k")]),
            manifest: #"{"playbook":"p.yaml"}"#)
    }

    @Test func createsTheRunDirectoryPrivately() throws {
        let root = TemporaryDirectory("mode")
        defer { root.cleanUp() }
        let directory = root.path + "/.jumpchain/orders"
        let store = try makeStore(directory)
        var info = stat()
        #expect(stat(directory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        let metadata = try store.metadata()
        #expect(metadata.name == "orders")
        #expect(metadata.status == .created)
        #expect(metadata.manifest == #"{"playbook":"p.yaml"}"#)
        #expect(metadata.schemaVersion == RunStore.schemaVersion)
        #expect(RunDirectory.defaultPath(runName: "orders") == ".jumpchain/orders")
    }

    @Test func theStoreFileIsPrivateAndReadOnlyOpeningWritesNothing() throws {
        let root = TemporaryDirectory("private")
        defer { root.cleanUp() }
        let directory = root.path + "/orders"
        _ = try makeStore(directory)
        let path = RunDirectory.storePath(directory)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let reader = try RunStore.openReadOnly(directory: directory)
        #expect(reader.runName == "orders")
        #expect(try reader.plan().steps.map(\.id) == ["a"])
        #expect(throws: WorkflowError.self) { try reader.setManifest("{}") }
    }

    @Test(arguments: ["open", "openReadOnly"])
    func anEmptyStoreIsReportedAndLeftEmpty(_ how: String) throws {
        let root = TemporaryDirectory("empty")
        defer { root.cleanUp() }
        let directory = root.path + "/orders"
        try RunDirectory.prepare(directory)
        let path = RunDirectory.storePath(directory)
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let error = #expect(throws: WorkflowError.self) {
            _ =
                how == "open"
                ? try RunStore.open(directory: directory) : try RunStore.openReadOnly(directory: directory)
        }
        #expect(error?.message.contains("empty (0 bytes)") == true)
        #expect((try FileManager.default.attributesOfItem(atPath: path))[.size] as? Int == 0)
        #expect(RunDirectory.foreignEntries(directory).isEmpty)
    }

    @Test func refusesToCreateOverAnExistingRun() throws {
        let directory = TemporaryDirectory("exists")
        defer { directory.cleanUp() }
        _ = try makeStore(directory.path)
        let error = #expect(throws: WorkflowError.self) { try makeStore(directory.path) }
        #expect(error?.code == .runAlreadyExists)
    }

    @Test func missingRunIsReported() {
        let error = #expect(throws: WorkflowError.self) {
            try RunStore.open(directory: "/nonexistent/jumpchain-run")
        }
        #expect(error?.code == .runNotFound)
    }

    @Test(arguments: [
        "UPDATE store_info SET schema_version = 99",
        "INSERT INTO grdb_migrations (identifier) VALUES ('v2-from-the-future')",
    ])
    func refusesANewerSchema(_ sql: String) throws {
        let directory = TemporaryDirectory("newer")
        defer { directory.cleanUp() }
        try makeStore(directory.path).executeForTesting(sql)
        let error = #expect(throws: WorkflowError.self) { try RunStore.open(directory: directory.path) }
        #expect(error?.code == .storeTooNew)
        #expect(error?.message.contains("newer version of jumpchain") == true)
        #expect(error?.message.contains(RunDirectory.storePath(directory.path)) == true)
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        let directory = TemporaryDirectory("garbage")
        defer { directory.cleanUp() }
        let garbage = String(repeating: "this is not a database. ", count: 400)
        try garbage.write(toFile: RunDirectory.storePath(directory.path), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o600], ofItemAtPath: RunDirectory.storePath(directory.path))
        let error = #expect(throws: WorkflowError.self) { try RunStore.open(directory: directory.path) }
        #expect(error?.code == .storeCorrupt)
        #expect(error?.message.contains("not a readable jumpchain run database") == true)
    }

    @Test func refusesADatabaseWithDamagedPages() throws {
        let directory = TemporaryDirectory("damaged")
        defer { directory.cleanUp() }
        do {
            let steps = (0..<2000).map { StepSpec(id: "step-\($0)", kind: "k", parameters: ["p": "\($0)"]) }
            _ = try RunStore.create(directory: directory.path, runName: "big", plan: try Plan(steps: steps))
        }
        let path = RunDirectory.storePath(directory.path)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        let size = try handle.seekToEnd()
        #expect(size > 3 * 4096)
        try handle.seek(toOffset: 4096)
        handle.write(Data(repeating: 0xA5, count: Int(size) - 8192))
        try handle.close()
        let error = #expect(throws: WorkflowError.self) { try RunStore.open(directory: directory.path) }
        #expect(error?.code == .storeCorrupt)
    }

    @Test func secondLockIsRefusedWithTheHolderNamed() throws {
        let directory = TemporaryDirectory("lock")
        defer { directory.cleanUp() }
        let lock = try RunLock.acquire(directory: directory.path)
        let error = #expect(throws: WorkflowError.self) { try RunLock.acquire(directory: directory.path) }
        #expect(error?.code == .runLocked)
        #expect(error?.message.contains("pid \(getpid())") == true)
        #expect(RunLock.recordedHolder(directory: directory.path) == .current)
        lock.release()
        #expect(RunLock.recordedHolder(directory: directory.path) == nil)
        try RunLock.acquire(directory: directory.path).release()
    }

    /// Removing a multi-site run under one site's lock takes that lock file (this process holds it) but leaves a
    /// site's lock another process holds: that runner's lock stays on disk, guarding its site.
    @Test func removingARunLeavesAnotherProcesssSiteLock() throws {
        let directory = TemporaryDirectory("site-locks")
        defer { directory.cleanUp() }
        let ours = try RunLock.acquire(directory: directory.path, site: "origin")
        defer { ours.release() }
        let theirsPath = RunDirectory.lockPath(directory.path, site: "target")
        let theirs = open(theirsPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        #expect(theirs >= 0)
        defer { close(theirs) }
        #expect(flock(theirs, LOCK_EX | LOCK_NB) == 0)
        let record = try JSONEncoder().encode(LockHolder(pid: 1, host: RunLock.hostName()))
        #expect(record.withUnsafeBytes { write(theirs, $0.baseAddress, $0.count) } == record.count)
        #expect(FileManager.default.createFile(atPath: RunDirectory.storePath(directory.path), contents: Data()))

        RunDirectory.removeEngineFiles(directory.path)

        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(left == ["run.target.lock"])
        flock(theirs, LOCK_UN)
        RunDirectory.removeEngineFiles(directory.path)
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test func holderOnAnotherHostNeedsForceUnlock() throws {
        let directory = TemporaryDirectory("foreign")
        defer { directory.cleanUp() }
        let foreign = LockHolder(pid: 4242, host: "jump-runner-7")
        try JSONEncoder().encode(foreign).write(to: URL(fileURLWithPath: RunDirectory.lockPath(directory.path)))
        let error = #expect(throws: WorkflowError.self) { try RunLock.acquire(directory: directory.path) }
        #expect(error?.code == .runLocked)
        #expect(error?.message.contains("pid 4242 on host jump-runner-7") == true)
        #expect(error?.message.contains("force-unlock") == true)
        #expect(try RunLock.forceUnlock(directory: directory.path) == foreign)
        try RunLock.acquire(directory: directory.path).release()
    }

    @Test func forceUnlockRefusesALiveLocalHolder() throws {
        let directory = TemporaryDirectory("live")
        defer { directory.cleanUp() }
        let lock = try RunLock.acquire(directory: directory.path)
        defer { lock.release() }
        let error = #expect(throws: WorkflowError.self) { try RunLock.forceUnlock(directory: directory.path) }
        #expect(error?.code == .runLocked)
    }
}
