public import Foundation

/// The embedded default backend: one SQLite ``RunStore`` and one flock ``RunLock`` per run directory,
/// `<stateDirectory>/<run-name>/` (a run given as a path containing `/` is that directory).
public struct SQLiteRunBackend: RunStateBackend {
    /// Where run directories live.
    public let stateDirectory: String

    /// A backend keeping runs under `stateDirectory` (default `./.jumpchain`).
    public init(stateDirectory: String = ".jumpchain") {
        self.stateDirectory = stateDirectory
    }

    public var description: String { stateDirectory }

    /// The run directory of `run`.
    public func directory(ofRun run: String) -> String {
        run.contains("/") ? run : (stateDirectory as NSString).appendingPathComponent(run)
    }

    public func location(ofRun run: String) -> String { directory(ofRun: run) }

    public func runExists(_ run: String) throws(WorkflowError) -> Bool {
        RunStore.exists(directory: directory(ofRun: run))
    }

    public func createRun(_ run: String, plan: Plan, manifest: String) throws(WorkflowError) -> any RunStateStore {
        try RunStore.create(
            directory: directory(ofRun: run),
            runName: (RunOperations.runName(ofKey: run) as NSString).lastPathComponent, plan: plan,
            manifest: manifest)
    }

    public func openRun(_ run: String) throws(WorkflowError) -> any RunStateStore {
        try RunStore.open(directory: directory(ofRun: run))
    }

    public func lockRun(_ run: String) throws(WorkflowError) -> any RunLease {
        try RunLock.acquire(directory: directory(ofRun: run))
    }

    public func lockRun(_ run: String, site: String) throws(WorkflowError) -> any RunLease {
        try RunLock.acquire(directory: directory(ofRun: run), site: site)
    }

    public func forceUnlockRun(_ run: String) throws(WorkflowError) -> LockHolder? {
        try RunLock.forceUnlock(directory: directory(ofRun: run))
    }

    /// Removes the run's own files (and the directory when that leaves it empty); other files are left alone.
    public func removeRun(_ run: String) throws(WorkflowError) {
        RunDirectory.removeEngineFiles(directory(ofRun: run))
    }

    public func runKey(_ run: String) -> String { directory(ofRun: run) }

    /// The lock file lives in the run directory: taking it creates the directory.
    public var lockCreatesRunKey: Bool { true }

    public func openRunReadOnly(_ run: String) throws(WorkflowError) -> any RunStateStore {
        try RunStore.openReadOnly(directory: directory(ofRun: run))
    }

    public func operationNames(ofRun run: String) throws(WorkflowError) -> [String] {
        let folder = (directory(ofRun: run) as NSString).appendingPathComponent(RunOperations.folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { RunStore.exists(directory: (folder as NSString).appendingPathComponent($0)) }
    }

    public func document(_ name: String, ofRun run: String) throws(WorkflowError) -> Data? {
        FileManager.default.contents(atPath: (directory(ofRun: run) as NSString).appendingPathComponent(name))
    }

    /// Written atomically, private to its owner like every file of a run directory.
    public func setDocument(_ name: String, ofRun run: String, _ content: Data) throws(WorkflowError) {
        let path = (directory(ofRun: run) as NSString).appendingPathComponent(name)
        do {
            try content.write(to: URL(fileURLWithPath: path), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        } catch {
            throw WorkflowError(code: .storeFailure, message: "cannot write \(path): \(error)", cause: error)
        }
    }

    public func importRun(_ export: RunExport) throws(WorkflowError) {
        // Named as ``createRun(_:plan:manifest:)`` names it: an operation's store carries its run's name.
        var named = export
        named.name = (RunOperations.runName(ofKey: export.name) as NSString).lastPathComponent
        _ = try RunStore.importRun(directory: directory(ofRun: export.name), export: named)
    }
}
