import Foundation
import JumpchainTestSupport
import Testing
import Workflow
import WorkflowPostgres

/// The state backends every shared store test and crash test runs against.
enum BackendKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// SQLite always; PostgreSQL when its binaries are installed (otherwise the reason is printed once).
    static let testable: [BackendKind] = {
        if let reason = ThrowawayPostgres.unavailableReason {
            print("PostgreSQL store tests skipped: \(reason)")
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }()
}

/// A fresh, empty place to keep runs: a temporary state directory, or a new database on the test process's
/// throwaway PostgreSQL cluster.
struct TestBackend {
    let kind: BackendKind
    let backend: any RunStateBackend
    /// Scratch space (effects logs, exports) and, for SQLite, the state directory.
    let root: TemporaryDirectory
    /// The database URL (PostgreSQL only).
    let url: String?

    static func make(_ kind: BackendKind, _ label: String) async throws -> TestBackend {
        let root = TemporaryDirectory(label)
        switch kind {
        case .sqlite:
            return TestBackend(
                kind: kind, backend: SQLiteRunBackend(stateDirectory: root.path + "/state"), root: root, url: nil)
        case .postgres:
            let url = try await ThrowawayPostgres.shared().createDatabase(label)
            return TestBackend(kind: kind, backend: try PostgresRunBackend(url: url), root: root, url: url)
        }
    }

    /// What the crash harness takes as its first argument for `run`: the run directory, or the database URL.
    func harnessLocation(_ run: String) -> String {
        url ?? (root.path + "/state/" + run)
    }

    /// The run name the harness uses for `run` (its `--run`), as the backend knows it.
    func harnessRunKey(_ run: String) -> String {
        url == nil ? harnessLocation(run) : run
    }

    func cleanUp() { root.cleanUp() }
}
