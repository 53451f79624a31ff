import Foundation
import JumpchainTestSupport
import Testing
import Workflow

@testable import WorkflowPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// What only the PostgreSQL backend has: schema versioning in a shared database, an advisory lock released
/// by the server when its holder dies, and a connection string that may carry a password.
@Suite(
    "PostgreSQL backend", .serialized,
    .enabled(if: ThrowawayPostgres.isAvailable, Comment(rawValue: ThrowawayPostgres.unavailableReason ?? "")))
struct PostgresStoreTests {
    private func plan() throws -> Plan { try Plan(steps: [StepSpec(id: "a", kind: "k")]) }

    @Test(arguments: [
        "UPDATE jumpchain.store_info SET schema_version = 99",
        "INSERT INTO jumpchain.migrations (identifier) VALUES ('v2-from-the-future')",
    ])
    func refusesANewerSchema(_ sql: String) async throws {
        let fixture = try await TestBackend.make(.postgres, "pg-newer")
        defer { fixture.cleanUp() }
        _ = try fixture.backend.createRun("r", plan: try plan(), manifest: "{}")
        try PGConnection.connect(try ConnectionString(fixture.url!)).execute(sql)
        let error = #expect(throws: WorkflowError.self) { try fixture.backend.openRun("r") }
        #expect(error?.code == .storeTooNew)
        #expect(error?.message.contains("newer version of jumpchain") == true)
        let lockError = #expect(throws: WorkflowError.self) { try fixture.backend.lockRun("r") }
        #expect(lockError?.code == .storeTooNew)
    }

    @Test func stepIdsSurviveTheArrayLiteral() async throws {
        let fixture = try await TestBackend.make(.postgres, "pg-ids")
        defer { fixture.cleanUp() }
        let ids = [#"quote"d"#, #"back\slash"#, "comma,{brace}", "ünï cødé", "NULL"]
        let store = try fixture.backend.createRun(
            "ids", plan: try Plan(steps: ids.map { StepSpec(id: $0, kind: "k") }), manifest: "{}")
        #expect(try store.stepStates() == Dictionary(uniqueKeysWithValues: ids.map { ($0, StepState.pending) }))
        #expect(try store.export().steps.map(\.stepID) == ids, "plan order is kept")
    }

    @Test func manyRunsShareOneDatabase() async throws {
        let fixture = try await TestBackend.make(.postgres, "pg-many")
        defer { fixture.cleanUp() }
        let first = try fixture.backend.createRun("one", plan: try plan(), manifest: "{}")
        let second = try fixture.backend.createRun("two", plan: try plan(), manifest: "{}")
        try first.commit([.started("a", attempt: 1, at: Date())], events: [WorkflowEvent(kind: .runStarted)])
        #expect(try second.stepStates() == ["a": .pending])
        #expect(try second.events().isEmpty)
        let lease = try fixture.backend.lockRun("one")
        defer { lease.release() }
        try fixture.backend.lockRun("two").release()
    }

    @Test func aSiteLockClearsTheRowsOfItsRunsEndedHolders() async throws {
        let fixture = try await TestBackend.make(.postgres, "pg-stale-rows")
        defer { fixture.cleanUp() }
        _ = try fixture.backend.runExists("r")  // creates the schema
        let connection = try PGConnection.connect(try ConnectionString(fixture.url!))
        // Rows a killed session left (no server session has that pid: PostgreSQL pids are far below 2^30), one
        // of another run, and a live holder of this run's other site.
        for row in ["r@site:session-dead", "r@site:edge", "other@site:session-dead"] {
            try connection.execute(
                "INSERT INTO jumpchain.lock_holder (run, pid, host, backend_pid, since) VALUES ($1, 1, 'h', $2, 0)",
                [row, String(1 << 30)])
        }
        let live = try fixture.backend.lockRun("r", site: "hub")
        defer { live.release() }
        let lease = try fixture.backend.lockRun("r", site: "session-0123")
        defer { lease.release() }
        let rows = try connection.execute("SELECT run FROM jumpchain.lock_holder ORDER BY run").compactMap { $0[0] }
        #expect(rows == ["other@site:session-dead", "r@site:hub", "r@site:session-0123"], "\(rows)")
    }

    @Test func theServerReleasesTheLockOfAKilledHolder() async throws {
        let fixture = try await TestBackend.make(.postgres, "pg-killed")
        defer { fixture.cleanUp() }
        let output = Pipe()
        let holder = try CrashTests.launch(
            [fixture.url!, fixture.root.path + "/effects.log", "--run", "held", "--steps", "4000", "--announce-lock"],
            stdout: output)
        #expect(String(decoding: output.fileHandleForReading.availableData, as: UTF8.self).contains("LOCKED"))
        let refused = #expect(throws: WorkflowError.self) { try fixture.backend.lockRun("held") }
        #expect(refused?.code == .runLocked)
        #expect(refused?.message.contains("pid \(holder.processIdentifier)") == true, "\(refused?.message ?? "")")

        kill(holder.processIdentifier, SIGKILL)
        await CrashTests.exit(holder)
        // The server notices the closed connection and ends the session; no force-unlock is needed.
        var lease: (any RunLease)?
        for _ in 0..<300 where lease == nil {
            lease = try? fixture.backend.lockRun("held")
            if lease == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(lease != nil, "the lock of a SIGKILLed holder must be released by PostgreSQL")
        lease?.release()
    }

    @Test func aPasswordNeverReachesAMessage() async throws {
        let url = "postgres://jc:s3cr3t-pw@127.0.0.1:\(try TLSTestServer.freePort())/nowhere?password=s3cr3t-pw"
        let backend = try PostgresRunBackend(url: url)
        #expect(!backend.description.contains("s3cr3t-pw"))
        #expect(!backend.location(ofRun: "r").contains("s3cr3t-pw"))
        let error = #expect(throws: WorkflowError.self) { try backend.openRun("r") }
        #expect(error?.code == .storeFailure)
        #expect(error?.description.contains("s3cr3t-pw") == false, "\(error?.description ?? "")")
        #expect(error?.message.contains("postgres://jc@127.0.0.1") == true, "\(error?.message ?? "")")
    }
}

@Suite struct ConnectionStringTests {
    @Test(arguments: [
        ("postgres://u:pw@h:5432/db", "postgres://u@h:5432/db"),
        ("postgresql://u@h/db?sslmode=require&password=pw", "postgresql://u@h/db?sslmode=require"),
        ("postgres://h/db", "postgres://h/db"),
        ("postgres://u:p@ss:word@h/db", "postgres://u@h/db"),
    ])
    func redactsPasswords(_ url: String, _ expected: String) {
        #expect(ConnectionString.redact(url) == expected)
        #expect(ConnectionString.carriesPassword(url) == (url != expected))
    }

    @Test func refusesURLsWithoutADatabase() {
        #expect(throws: PostgresURLError.self) { try ConnectionString("postgres://u:pw@h:5432") }
        let error = #expect(throws: PostgresURLError.self) { try ConnectionString("postgres://u:pw@h:5432/") }
        #expect(error?.message.contains("pw") == false)
        #expect(throws: PostgresURLError.self) { try ConnectionString("mysql://h/db") }
    }
}
