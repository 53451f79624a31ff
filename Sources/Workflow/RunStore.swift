public import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The durable record of one run: SQLite through GRDB (WAL, `synchronous=FULL`) in `<run-dir>/state.sqlite`.
///
/// Holds run metadata (name, created_at, status, a domain-owned JSON manifest), the plan (the whole graph
/// with parameters — a resumed run executes it, never a re-plan), per-step state, and an append-only event
/// log. Every transition is committed before anything acts on it; the runner batches the transitions of one
/// scheduling round into a single transaction (group commit), which keeps per-transition durability.
///
/// Reading (e.g. a `status` command) needs no lock; writing is done by the ``Runner`` holding the ``RunLock``.
public final class RunStore: RunStateStore {
    /// The schema version this build writes and understands.
    public static let schemaVersion = 1

    /// The run directory.
    public let directory: String
    /// The run's name.
    public let runName: String
    /// A `DatabasePool` for a writer; a read-only `DatabaseQueue` for ``openReadOnly(directory:)``.
    let pool: any DatabaseWriter

    /// The run directory.
    public var location: String { directory }

    init(directory: String, runName: String, pool: any DatabaseWriter) {
        self.directory = directory
        self.runName = runName
        self.pool = pool
    }

    /// Creates a new run in `directory` (created 0700) with its plan and manifest; every step starts `pending`.
    ///
    /// The store is built beside its final name and renamed into place once complete, so a crash during
    /// creation leaves either no store or a whole one, never an empty file or one that holds no run.
    ///
    /// Throws ``WorkflowError/Code/runAlreadyExists`` if the directory already holds a run.
    public static func create(
        directory: String, runName: String, plan: Plan, manifest: String = "{}"
    )
        throws(WorkflowError) -> RunStore
    {
        try RunDirectory.prepare(directory)
        try RunDirectory.checkPrivate(directory)
        let path = RunDirectory.storePath(directory)
        let planJSON: String
        do {
            planJSON = String(decoding: try JSONEncoder().encode(plan), as: UTF8.self)
        } catch {
            throw WorkflowError(
                code: .storeFailure, message: "cannot encode the plan of run '\(runName)'", cause: error)
        }
        let record = { (db: Database) throws in
            if try Row.fetchOne(db, sql: "SELECT name FROM run") != nil {
                throw WorkflowError(
                    code: .runAlreadyExists,
                    message: "'\(directory)' already holds a run; resume it or choose another run directory")
            }
            let now = Date().timeIntervalSince1970
            try db.execute(
                sql: """
                    INSERT INTO run (id, name, created_at, updated_at, status, manifest, plan)
                    VALUES (1, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [runName, now, now, RunStatus.created.rawValue, manifest, planJSON])
            let insert = try db.makeStatement(
                sql: "INSERT INTO step (position, step_id, state, attempts) VALUES (?, ?, 'pending', 0)")
            for (position, step) in plan.steps.enumerated() {
                try insert.execute(arguments: [position, step.id])
            }
        }
        if FileManager.default.fileExists(atPath: path) {
            // A store file is already there (an older version's interrupted creation): fill it in place.
            let pool = try openPool(path: path)
            try checkVersion(pool, path: path)
            try migrate(pool, path: path)
            try guarded(path) { try pool.write(record) }
            return RunStore(directory: directory, runName: runName, pool: pool)
        }
        let staging = RunDirectory.stagingStorePath(directory)
        for suffix in ["", "-journal", "-wal", "-shm"] { unlink(staging + suffix) }
        try StoreFile.createPrivate(staging)
        do {
            var configuration = Configuration()
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            let queue = try guarded(staging) { try DatabaseQueue(path: staging, configuration: configuration) }
            try migrate(queue, path: staging)
            try guarded(staging) {
                try queue.write(record)
                try queue.close()
            }
        }
        guard rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            throw WorkflowError(code: .storeFailure, message: "cannot move the new store into '\(path)': \(reason)")
        }
        StoreFile.syncDirectory(directory)
        let pool = try openPool(path: path)
        return RunStore(directory: directory, runName: runName, pool: pool)
    }

    /// Creates a run in `directory` from an export: its plan, manifest, status, step records and events as
    /// recorded (event sequence numbers are reassigned). Refuses a directory that already holds a run.
    public static func importRun(directory: String, export: RunExport) throws(WorkflowError) -> RunStore {
        try RunDirectory.prepare(directory)
        let path = RunDirectory.storePath(directory)
        let pool = try openPool(path: path)
        try checkVersion(pool, path: path)
        try migrate(pool, path: path)
        let planJSON: String
        do {
            planJSON = String(decoding: try JSONEncoder().encode(export.plan), as: UTF8.self)
        } catch {
            throw WorkflowError(
                code: .storeFailure, message: "cannot encode the plan of run '\(export.name)'", cause: error)
        }
        try guarded(path) {
            try pool.write { db in
                if try Row.fetchOne(db, sql: "SELECT name FROM run") != nil {
                    throw WorkflowError(
                        code: .runAlreadyExists,
                        message: "'\(directory)' already holds a run; import into another state directory")
                }
                try db.execute(
                    sql: """
                        INSERT INTO run (id, name, created_at, updated_at, status, manifest, plan)
                        VALUES (1, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        export.name, export.createdAt.timeIntervalSince1970, export.updatedAt.timeIntervalSince1970,
                        export.status.rawValue, export.manifest, planJSON,
                    ])
                let insertStep = try db.makeStatement(
                    sql: """
                        INSERT INTO step (position, step_id, state, attempts, started_at, finished_at, last_error,
                        outputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """)
                for (position, step) in export.steps.enumerated() {
                    let outputs =
                        step.outputs.isEmpty
                        ? nil : String(decoding: try JSONEncoder().encode(step.outputs), as: UTF8.self)
                    try insertStep.execute(arguments: [
                        position, step.stepID, step.state.rawValue, step.attempts,
                        step.startedAt?.timeIntervalSince1970, step.finishedAt?.timeIntervalSince1970, step.lastError,
                        outputs,
                    ])
                }
                let insertEvent = try db.makeStatement(
                    sql: """
                        INSERT INTO event (at, kind, step_id, attempt, message, retry_delay, status)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """)
                for event in export.events {
                    try insertEvent.execute(arguments: [
                        event.time.timeIntervalSince1970, event.kind.rawValue, event.stepID, event.attempt,
                        event.message, event.retryDelaySeconds, event.status?.rawValue,
                    ])
                }
            }
        }
        return RunStore(directory: directory, runName: export.name, pool: pool)
    }

    /// Opens an existing run, refusing a corrupt store or one written by a newer version.
    public static func open(directory: String) throws(WorkflowError) -> RunStore {
        let path = RunDirectory.storePath(directory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw WorkflowError(code: .runNotFound, message: "no run in '\(directory)' (no \(path))")
        }
        // An empty file holds no run (and no state to protect): report it without writing a schema into it.
        if StoreFile.size(path) == 0 { throw StoreFile.emptyError(path) }
        try RunDirectory.checkPrivate(directory)
        let pool = try openPool(path: path)
        try guarded(path) {
            let result = try pool.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            guard result == "ok" else {
                throw WorkflowError(
                    code: .storeCorrupt,
                    message: "the store '\(path)' fails its integrity check (\(result ?? "no answer")); "
                        + "restore it from a backup or start a new run")
            }
        }
        try checkVersion(pool, path: path)
        try migrate(pool, path: path)
        let name = try guarded(path) {
            try pool.read { db in try String.fetchOne(db, sql: "SELECT name FROM run") }
        }
        guard let name else {
            throw WorkflowError(
                code: .runNotFound,
                message: "'\(path)' holds no run (its creation was interrupted)")
        }
        return RunStore(directory: directory, runName: name, pool: pool)
    }

    /// Whether `directory` holds a created run (without validating it).
    public static func exists(directory: String) -> Bool {
        FileManager.default.fileExists(atPath: RunDirectory.storePath(directory))
    }

    // MARK: Reading

    /// Run-level metadata.
    public func metadata() throws(WorkflowError) -> RunMetadata {
        try guarded {
            try pool.read { db in
                let row = try Row.fetchOne(
                    db, sql: "SELECT name, created_at, updated_at, status, manifest FROM run")!
                let version = try Int.fetchOne(db, sql: "SELECT schema_version FROM store_info") ?? 0
                return RunMetadata(
                    name: row["name"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
                    status: RunStatus(rawValue: row["status"]) ?? .created, manifest: row["manifest"],
                    schemaVersion: version)
            }
        }
    }

    /// Replaces the domain-owned manifest (free-form JSON, never secrets).
    public func setManifest(_ manifest: String) throws(WorkflowError) {
        try guarded {
            try pool.write { db in try db.execute(sql: "UPDATE run SET manifest = ?", arguments: [manifest]) }
        }
    }

    /// The recorded plan.
    public func plan() throws(WorkflowError) -> Plan {
        let json = try guarded {
            try pool.read { db in try String.fetchOne(db, sql: "SELECT plan FROM run")! }
        }
        do {
            return try JSONDecoder().decode(Plan.self, from: Data(json.utf8))
        } catch let error as WorkflowError {
            throw error
        } catch {
            throw WorkflowError(
                code: .storeCorrupt, message: "the plan recorded in '\(storePath)' cannot be decoded", cause: error)
        }
    }

    /// Every step's record, by step id.
    public func stepRecords() throws(WorkflowError) -> [String: StepRecord] {
        try guarded {
            try pool.read { db in
                var records: [String: StepRecord] = [:]
                let cursor = try Row.fetchCursor(
                    db,
                    sql: "SELECT step_id, state, attempts, started_at, finished_at, last_error, outputs FROM step")
                while let row = try cursor.next() {
                    let id: String = row[0]
                    let outputsJSON: String? = row[6]
                    var outputs: [String: String] = [:]
                    if let outputsJSON {
                        outputs =
                            (try? JSONDecoder().decode([String: String].self, from: Data(outputsJSON.utf8))) ?? [:]
                    }
                    let startedAt: Double? = row[3]
                    let finishedAt: Double? = row[4]
                    records[id] = StepRecord(
                        stepID: id, state: StepState(rawValue: row[1]) ?? .pending, attempts: row[2],
                        startedAt: startedAt.map(Date.init(timeIntervalSince1970:)),
                        finishedAt: finishedAt.map(Date.init(timeIntervalSince1970:)), lastError: row[5],
                        outputs: outputs)
                }
                return records
            }
        }
    }

    /// Step states only, by step id (cheaper than ``stepRecords()``; used for graph export).
    public func stepStates() throws(WorkflowError) -> [String: StepState] {
        try guarded {
            try pool.read { db in
                var states: [String: StepState] = [:]
                let cursor = try Row.fetchCursor(db, sql: "SELECT step_id, state FROM step")
                while let row = try cursor.next() {
                    states[row[0]] = StepState(rawValue: row[1]) ?? .pending
                }
                return states
            }
        }
    }

    /// Events with a sequence number greater than `sequence`, oldest first, at most `limit`.
    public func events(after sequence: Int64, limit: Int) throws(WorkflowError) -> [WorkflowEvent] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT seq, at, kind, step_id, attempt, message, retry_delay, status FROM event
                        WHERE seq > ? ORDER BY seq LIMIT ?
                        """,
                    arguments: [sequence, Int64(clamping: limit)]
                ).map { row in
                    let status: String? = row[7]
                    return WorkflowEvent(
                        kind: WorkflowEvent.Kind(rawValue: row[2]) ?? .stepProgress, stepID: row[3], attempt: row[4],
                        message: row[5], retryDelaySeconds: row[6], status: status.flatMap(RunStatus.init(rawValue:)),
                        time: Date(timeIntervalSince1970: row[1]), sequence: row[0])
                }
            }
        }
    }

    /// Runs SQLite's integrity check; `true` when the store is sound.
    public func integrityCheck() throws(WorkflowError) -> Bool {
        try guarded {
            try pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok" }
        }
    }

    // MARK: Writing (used by the runner, which holds the run lock)

    /// Commits a batch of transitions and events in one durable transaction; returns the events with their
    /// assigned sequence numbers.
    @discardableResult
    public func commit(
        _ transitions: [StepTransition], events: [WorkflowEvent], status: RunStatus?
    )
        throws(WorkflowError) -> [WorkflowEvent]
    {
        if transitions.isEmpty && events.isEmpty && status == nil { return [] }
        return try guarded {
            try pool.write { db in
                for transition in transitions {
                    try apply(transition, db)
                }
                if let status {
                    try db.cachedStatement(sql: "UPDATE run SET status = ?, updated_at = ?").execute(
                        arguments: [status.rawValue, Date().timeIntervalSince1970])
                }
                var stored = events
                let insert = try db.cachedStatement(
                    sql: """
                        INSERT INTO event (at, kind, step_id, attempt, message, retry_delay, status)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """)
                for position in stored.indices {
                    let event = stored[position]
                    try insert.execute(arguments: [
                        event.time.timeIntervalSince1970, event.kind.rawValue, event.stepID, event.attempt,
                        event.message, event.retryDelaySeconds, event.status?.rawValue,
                    ])
                    stored[position].sequence = db.lastInsertedRowID
                }
                return stored
            }
        }
    }

    private func apply(_ transition: StepTransition, _ db: Database) throws {
        switch transition {
        case .started(let id, let attempt, let at):
            try db.cachedStatement(
                sql: "UPDATE step SET state = 'running', attempts = ?, started_at = ? WHERE step_id = ?"
            ).execute(arguments: [attempt, at.timeIntervalSince1970, id])
        case .succeeded(let id, let outputs, let at):
            let json = outputs.isEmpty ? nil : String(decoding: try JSONEncoder().encode(outputs), as: UTF8.self)
            try db.cachedStatement(
                sql: """
                    UPDATE step SET state = 'succeeded', finished_at = ?, outputs = ?, last_error = NULL
                    WHERE step_id = ?
                    """
            ).execute(arguments: [at.timeIntervalSince1970, json, id])
        case .failed(let id, let error, let at):
            try db.cachedStatement(
                sql: "UPDATE step SET state = 'failed', finished_at = ?, last_error = ? WHERE step_id = ?"
            ).execute(arguments: [at.timeIntervalSince1970, error, id])
        case .skipped(let id, let reason, let at):
            try db.cachedStatement(
                sql: "UPDATE step SET state = 'skipped', finished_at = ?, last_error = ? WHERE step_id = ?"
            ).execute(arguments: [at.timeIntervalSince1970, reason, id])
        case .reset(let id, let error):
            try db.cachedStatement(
                sql: "UPDATE step SET state = 'pending', last_error = coalesce(?, last_error) WHERE step_id = ?"
            ).execute(arguments: [error, id])
        }
    }

    private var storePath: String { RunDirectory.storePath(directory) }

    private func guarded<T>(_ body: () throws -> T) throws(WorkflowError) -> T {
        try Self.guarded(storePath, body)
    }

    // MARK: Opening, versions, migrations

    private static func openPool(path: String) throws(WorkflowError) -> DatabasePool {
        // Created 0600 whatever the umask; SQLite gives the -wal and -shm files the database file's mode.
        try StoreFile.createPrivate(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return try guarded(path) { try DatabasePool(path: path, configuration: configuration) }
    }

    static func checkVersion(_ pool: any DatabaseReader, path: String) throws(WorkflowError) {
        let (version, superseded) = try guarded(path) {
            try pool.read { db -> (Int?, Bool) in
                let version =
                    try db.tableExists("store_info")
                    ? Int.fetchOne(db, sql: "SELECT schema_version FROM store_info") : nil
                return (version, try migrator.hasBeenSuperseded(db))
            }
        }
        if superseded || (version ?? 0) > schemaVersion {
            throw WorkflowError(
                code: .storeTooNew,
                message:
                    "the store '\(path)' was written by a newer version of jumpchain (schema "
                    + "\(version.map(String.init) ?? "unknown"); this build understands up to \(schemaVersion)); "
                    + "use a newer jumpchain to resume it")
        }
    }

    private static func migrate(_ pool: any DatabaseWriter, path: String) throws(WorkflowError) {
        try guarded(path) { try migrator.migrate(pool) }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE store_info (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        schema_version INTEGER NOT NULL);
                    INSERT INTO store_info (id, schema_version) VALUES (1, 1);
                    CREATE TABLE run (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        name TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        status TEXT NOT NULL,
                        manifest TEXT NOT NULL,
                        plan TEXT NOT NULL);
                    CREATE TABLE step (
                        position INTEGER PRIMARY KEY,
                        step_id TEXT NOT NULL UNIQUE,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL,
                        started_at REAL,
                        finished_at REAL,
                        last_error TEXT,
                        outputs TEXT);
                    CREATE TABLE event (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        at REAL NOT NULL,
                        kind TEXT NOT NULL,
                        step_id TEXT,
                        attempt INTEGER,
                        message TEXT,
                        retry_delay REAL,
                        status TEXT);
                    """)
        }
        return migrator
    }

    /// Runs `body`, turning SQLite errors into ``WorkflowError``s that name the store file.
    static func guarded<T>(_ path: String, _ body: () throws -> T) throws(WorkflowError) -> T {
        do {
            return try body()
        } catch let error as WorkflowError {
            throw error
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
        {
            throw WorkflowError(
                code: .storeCorrupt,
                message:
                    "the store '\(path)' is not a readable jumpchain run database (\(error.message ?? "corrupt")); "
                    + "restore it from a backup or start a new run",
                cause: error)
        } catch {
            throw WorkflowError(code: .storeFailure, message: "store '\(path)': \(error)", cause: error)
        }
    }
}

/// One durable change to a step's state, committed by a ``RunStateStore`` in batches.
public enum StepTransition: Sendable {
    case started(String, attempt: Int, at: Date)
    case succeeded(String, outputs: [String: String], at: Date)
    case failed(String, error: String, at: Date)
    case skipped(String, reason: String, at: Date)
    /// Back to `pending` (interrupted, or waiting to retry), keeping or updating the last error.
    case reset(String, error: String?)
}

extension RunStore {
    /// Runs raw SQL against the store; for tests that simulate damage or a newer schema only.
    func executeForTesting(_ sql: String) throws {
        try pool.write { db in try db.execute(sql: sql) }
    }
}
