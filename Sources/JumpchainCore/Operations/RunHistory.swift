import Foundation
public import Workflow

/// A run's operations, oldest first: the rollout that built the chain lives in the run directory itself,
/// every later operation (a teardown, ...) in `<run-dir>/operations/<NNN>-<kind>/` with its own store, plan
/// and manifest, so a run keeps its whole history and `resume`, `status` and `graph` can route any of them.
public enum RunHistory {
    public struct Entry: Sendable {
        /// 0 for the operation in the run directory itself, then 1, 2, ... in `operations/`.
        public var index: Int
        public var directory: String
        public var kind: OperationKind
        public var status: RunStatus
    }

    static let operationsFolder = "operations"

    /// Every operation of the run in `root`, oldest first (empty when there is no run).
    public static func entries(root: String) throws(JumpchainError) -> [Entry] {
        var entries: [Entry] = []
        if RunStore.exists(directory: root) {
            entries.append(try entry(index: 0, directory: root))
        }
        let folder = (root as NSString).appendingPathComponent(operationsFolder)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        for name in names {
            guard let index = Int(name.prefix(while: \.isNumber)) else { continue }
            let directory = (folder as NSString).appendingPathComponent(name)
            guard RunStore.exists(directory: directory) else { continue }
            entries.append(try entry(index: index, directory: directory))
        }
        return entries
    }

    /// The directory for a new operation of `kind` after `entries`.
    static func newDirectory(root: String, kind: OperationKind, after entries: [Entry]) -> String {
        let index = (entries.map(\.index).max() ?? 0) + 1
        let name = String(format: "%03d-%@", index, kind.rawValue)
        return ((root as NSString).appendingPathComponent(operationsFolder) as NSString).appendingPathComponent(name)
    }

    private static func entry(index: Int, directory: String) throws(JumpchainError) -> Entry {
        let store = try Rollout.openStore(directory)
        let metadata = try Rollout.wrap { () throws(WorkflowError) in try store.metadata() }
        let manifest = try RunManifest.decode(metadata.manifest, run: metadata.name)
        return Entry(index: index, directory: directory, kind: manifest.operation, status: metadata.status)
    }
}
