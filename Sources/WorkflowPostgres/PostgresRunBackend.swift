public import Foundation
public import Workflow

/// Runs kept in a shared PostgreSQL database (`--state postgres://…` or `JUMPCHAIN_STATE`), so several hosts
/// and people can run, resume and inspect the same runs. Each store and each lock has its own connection.
public struct PostgresRunBackend: RunStateBackend {
    private let connectionString: ConnectionString

    /// A backend on the database `url` names (a `postgres://` URL; the password is best left to `PGPASSWORD`
    /// or `~/.pgpass`). Nothing is contacted until a run is opened, created or locked.
    public init(url: String) throws(PostgresURLError) {
        connectionString = try ConnectionString(url)
    }

    /// The URL without its password.
    public var description: String { connectionString.label }

    public func location(ofRun run: String) -> String { "\(connectionString.label) (run \(run))" }

    /// A connection with the schema checked and migrated.
    private func connect() throws(WorkflowError) -> PGConnection {
        let connection = try PGConnection.connect(connectionString)
        try PostgresSchema.prepare(connection)
        return connection
    }

    public func runExists(_ run: String) throws(WorkflowError) -> Bool {
        let connection = try connect()
        return try !connection.execute("SELECT 1 FROM jumpchain.run WHERE name = $1", [run]).isEmpty
    }

    public func createRun(_ run: String, plan: Plan, manifest: String) throws(WorkflowError) -> any RunStateStore {
        let connection = try connect()
        let planJSON = try Self.encode(plan, run: run)
        try connection.transaction { () throws(WorkflowError) in
            let now = PostgresRunStore.text(Date())
            let inserted = try connection.execute(
                """
                INSERT INTO jumpchain.run (name, created_at, updated_at, status, manifest, plan)
                VALUES ($1, $2, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING name
                """, [run, now, RunStatus.created.rawValue, manifest, planJSON])
            guard !inserted.isEmpty else {
                throw WorkflowError(
                    code: .runAlreadyExists,
                    message: "\(location(ofRun: run)) already holds a run; resume it or choose another run name")
            }
            // One statement for the whole plan (thousands of steps would otherwise cost a round trip each).
            try connection.execute(
                """
                INSERT INTO jumpchain.step (run, position, step_id, state, attempts)
                SELECT $1, step.ordinality - 1, step.id, 'pending', 0
                FROM unnest($2::text[]) WITH ORDINALITY AS step (id, ordinality)
                """, [run, Self.textArray(plan.steps.map(\.id))])
        }
        return PostgresRunStore(runName: run, connection: connection)
    }

    public func openRun(_ run: String) throws(WorkflowError) -> any RunStateStore {
        let connection = try connect()
        guard try !connection.execute("SELECT 1 FROM jumpchain.run WHERE name = $1", [run]).isEmpty else {
            throw WorkflowError(code: .runNotFound, message: "no run \(run) in the state database \(description)")
        }
        return PostgresRunStore(runName: run, connection: connection)
    }

    public func runKey(_ run: String) -> String { run }

    /// The lock (an advisory lock and its holder record) creates no run.
    public var lockCreatesRunKey: Bool { false }

    /// Reading a run writes nothing but the schema's first creation.
    public func openRunReadOnly(_ run: String) throws(WorkflowError) -> any RunStateStore {
        try openRun(run)
    }

    public func operationNames(ofRun run: String) throws(WorkflowError) -> [String] {
        let prefix = RunOperations.key(runKey: run, operation: "")
        let rows = try connect().execute(
            "SELECT substr(name, length($1) + 1) FROM jumpchain.run WHERE left(name, length($1)) = $1", [prefix])
        return rows.compactMap { $0.first ?? nil }.filter { !$0.isEmpty && !$0.contains("/") }
    }

    public func document(_ name: String, ofRun run: String) throws(WorkflowError) -> Data? {
        let rows = try connect().execute(
            "SELECT content FROM jumpchain.run_document WHERE run = $1 AND name = $2", [run, name])
        return rows.first.flatMap { $0.first ?? nil }.map { Data($0.utf8) }
    }

    /// One row per run and name (deleted with the run); the content is text (the documents are JSON).
    public func setDocument(_ name: String, ofRun run: String, _ content: Data) throws(WorkflowError) {
        try connect().execute(
            """
            INSERT INTO jumpchain.run_document (run, name, content) VALUES ($1, $2, $3)
            ON CONFLICT (run, name) DO UPDATE SET content = EXCLUDED.content
            """, [run, name, String(decoding: content, as: UTF8.self)])
    }

    public func lockRun(_ run: String) throws(WorkflowError) -> any RunLease {
        try PostgresRunLock.acquire(run: run, connection: try connect())
    }

    public func lockRun(_ run: String, site: String) throws(WorkflowError) -> any RunLease {
        try PostgresRunLock.acquire(run: run, site: site, connection: try connect())
    }

    /// PostgreSQL drops a dead holder's lock by itself; this only clears a stale holder record.
    public func forceUnlockRun(_ run: String) throws(WorkflowError) -> LockHolder? {
        try PostgresRunLock.forceUnlock(run: run, connection: try connect())
    }

    /// The holder recorded for `run`, if any (it may have died since: PostgreSQL released its lock then).
    public func recordedHolder(_ run: String) throws(WorkflowError) -> LockHolder? {
        try PostgresRunLock.recordedHolder(run: run, try connect())
    }

    public func removeRun(_ run: String) throws(WorkflowError) {
        let connection = try connect()
        try connection.transaction { () throws(WorkflowError) in
            try connection.execute("DELETE FROM jumpchain.run WHERE name = $1", [run])
        }
    }

    public func importRun(_ export: RunExport) throws(WorkflowError) {
        let connection = try connect()
        let planJSON = try Self.encode(export.plan, run: export.name)
        let run = export.name
        try connection.transaction { () throws(WorkflowError) in
            let inserted = try connection.execute(
                """
                INSERT INTO jumpchain.run (name, created_at, updated_at, status, manifest, plan)
                VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING RETURNING name
                """,
                [
                    run, PostgresRunStore.text(export.createdAt), PostgresRunStore.text(export.updatedAt),
                    export.status.rawValue, export.manifest, planJSON,
                ])
            guard !inserted.isEmpty else {
                throw WorkflowError(
                    code: .runAlreadyExists, message: "\(location(ofRun: run)) already holds a run of that name")
            }
            for (position, step) in export.steps.enumerated() {
                var outputs: String?
                if !step.outputs.isEmpty {
                    outputs = (try? JSONEncoder().encode(step.outputs)).map { String(decoding: $0, as: UTF8.self) }
                }
                try connection.execute(
                    """
                    INSERT INTO jumpchain.step (run, position, step_id, state, attempts, started_at, finished_at,
                        last_error, outputs)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """,
                    [
                        run, String(position), step.stepID, step.state.rawValue, String(step.attempts),
                        step.startedAt.map(PostgresRunStore.text), step.finishedAt.map(PostgresRunStore.text),
                        step.lastError, outputs,
                    ])
            }
            for event in export.events {
                _ = try PostgresRunStore.insert(event, run: run, connection)
            }
        }
    }

    /// A PostgreSQL array literal of strings (`{"a","b\\"c"}`).
    static func textArray(_ values: [String]) -> String {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }

    private static func encode(_ plan: Plan, run: String) throws(WorkflowError) -> String {
        do {
            return String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        } catch {
            throw WorkflowError(code: .storeFailure, message: "cannot encode the plan of run '\(run)'", cause: error)
        }
    }
}
