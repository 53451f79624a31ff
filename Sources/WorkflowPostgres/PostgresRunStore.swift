import Foundation
import Synchronization
public import Workflow

/// One run in a PostgreSQL state database (schema `jumpchain`, rows keyed by the run's name).
///
/// Like the SQLite store, every ``commit(_:events:status:)`` is one transaction that has reached the server's
/// disk (`synchronous_commit = on`) before it returns. One connection per store, used under a mutex (steps
/// report progress from their own tasks while the runner commits).
public final class PostgresRunStore: RunStateStore, @unchecked Sendable {
    // Invariant behind @unchecked Sendable: `connection` is only used while holding `lock`.
    public let runName: String
    public let location: String
    private let lock = Mutex(())
    private let connection: PGConnection

    init(runName: String, connection: PGConnection) {
        self.runName = runName
        self.location = "\(connection.label) (run \(runName))"
        self.connection = connection
    }

    @discardableResult
    private func withConnection<T>(_ body: (PGConnection) throws(WorkflowError) -> T) throws(WorkflowError) -> T {
        try lock.withLock { _ throws(WorkflowError) -> T in
            try connection.ensureConnected()
            return try body(connection)
        }
    }

    // MARK: Reading

    public func metadata() throws(WorkflowError) -> RunMetadata {
        try withConnection { connection throws(WorkflowError) in
            let rows = try connection.execute(
                "SELECT name, created_at, updated_at, status, manifest FROM jumpchain.run WHERE name = $1",
                [runName])
            guard let row = rows.first else { throw missing(connection) }
            let version = try connection.execute("SELECT schema_version FROM jumpchain.store_info")
            return RunMetadata(
                name: row[0] ?? runName, createdAt: Self.date(row[1]) ?? Date(timeIntervalSince1970: 0),
                updatedAt: Self.date(row[2]) ?? Date(timeIntervalSince1970: 0),
                status: RunStatus(rawValue: row[3] ?? "") ?? .created, manifest: row[4] ?? "{}",
                schemaVersion: version.first.flatMap { $0[0] }.flatMap { Int($0) } ?? 0)
        }
    }

    public func setManifest(_ manifest: String) throws(WorkflowError) {
        try withConnection { connection throws(WorkflowError) in
            try connection.execute("UPDATE jumpchain.run SET manifest = $1 WHERE name = $2", [manifest, runName])
        }
    }

    public func plan() throws(WorkflowError) -> Plan {
        let json = try withConnection { connection throws(WorkflowError) in
            let rows = try connection.execute("SELECT plan FROM jumpchain.run WHERE name = $1", [runName])
            guard let row = rows.first, let json = row[0] else { throw missing(connection) }
            return json
        }
        do {
            return try JSONDecoder().decode(Plan.self, from: Data(json.utf8))
        } catch {
            throw WorkflowError(
                code: .storeCorrupt, message: "the plan recorded in \(location) cannot be decoded", cause: error)
        }
    }

    public func stepRecords() throws(WorkflowError) -> [String: StepRecord] {
        let rows = try withConnection { connection throws(WorkflowError) in
            try connection.execute(
                """
                SELECT step_id, state, attempts, started_at, finished_at, last_error, outputs
                FROM jumpchain.step WHERE run = $1
                """, [runName])
        }
        var records: [String: StepRecord] = [:]
        for row in rows {
            guard let id = row[0] else { continue }
            var outputs: [String: String] = [:]
            if let json = row[6] {
                outputs = (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
            }
            records[id] = StepRecord(
                stepID: id, state: StepState(rawValue: row[1] ?? "") ?? .pending,
                attempts: row[2].flatMap { Int($0) } ?? 0, startedAt: Self.date(row[3]),
                finishedAt: Self.date(row[4]), lastError: row[5], outputs: outputs)
        }
        return records
    }

    public func stepStates() throws(WorkflowError) -> [String: StepState] {
        let rows = try withConnection { connection throws(WorkflowError) in
            try connection.execute("SELECT step_id, state FROM jumpchain.step WHERE run = $1", [runName])
        }
        var states: [String: StepState] = [:]
        for row in rows {
            guard let id = row[0] else { continue }
            states[id] = StepState(rawValue: row[1] ?? "") ?? .pending
        }
        return states
    }

    public func events(after sequence: Int64, limit: Int) throws(WorkflowError) -> [WorkflowEvent] {
        let rows = try withConnection { connection throws(WorkflowError) in
            try connection.execute(
                """
                SELECT seq, at, kind, step_id, attempt, message, retry_delay, status FROM jumpchain.event
                WHERE run = $1 AND seq > $2 ORDER BY seq LIMIT $3
                """, [runName, String(sequence), String(Int64(clamping: limit))])
        }
        return rows.map { row in
            WorkflowEvent(
                kind: WorkflowEvent.Kind(rawValue: row[2] ?? "") ?? .stepProgress, stepID: row[3],
                attempt: row[4].flatMap { Int($0) }, message: row[5], retryDelaySeconds: row[6].flatMap { Double($0) },
                status: row[7].flatMap { RunStatus(rawValue: $0) }, time: Self.date(row[1]) ?? Date(),
                sequence: row[0].flatMap { Int64($0) })
        }
    }

    /// Every step of the plan has exactly one record, and no record names a step outside it.
    public func integrityCheck() throws(WorkflowError) -> Bool {
        let plan = try plan()
        let states = try stepStates()
        return states.count == plan.steps.count && plan.steps.allSatisfy { states[$0.id] != nil }
    }

    // MARK: Writing

    @discardableResult
    public func commit(
        _ transitions: [StepTransition], events: [WorkflowEvent], status: RunStatus?
    ) throws(WorkflowError) -> [WorkflowEvent] {
        if transitions.isEmpty && events.isEmpty && status == nil { return [] }
        let run = runName
        return try withConnection { connection throws(WorkflowError) in
            try connection.transaction { () throws(WorkflowError) -> [WorkflowEvent] in
                for transition in transitions {
                    try Self.apply(transition, run: run, connection)
                }
                if let status {
                    try connection.execute(
                        "UPDATE jumpchain.run SET status = $1, updated_at = $2 WHERE name = $3",
                        [status.rawValue, Self.text(Date()), run])
                }
                var stored = events
                for position in stored.indices {
                    stored[position].sequence = try Self.insert(stored[position], run: run, connection)
                }
                return stored
            }
        }
    }

    private static func apply(
        _ transition: StepTransition, run: String, _ connection: PGConnection
    )
        throws(WorkflowError)
    {
        switch transition {
        case .started(let id, let attempt, let at):
            try connection.execute(
                "UPDATE jumpchain.step SET state = 'running', attempts = $1, started_at = $2 WHERE run = $3 AND step_id = $4",
                [String(attempt), text(at), run, id])
        case .succeeded(let id, let outputs, let at):
            var json: String?
            if !outputs.isEmpty {
                json = (try? JSONEncoder().encode(outputs)).map { String(decoding: $0, as: UTF8.self) }
            }
            try connection.execute(
                """
                UPDATE jumpchain.step SET state = 'succeeded', finished_at = $1, outputs = $2, last_error = NULL
                WHERE run = $3 AND step_id = $4
                """, [text(at), json, run, id])
        case .failed(let id, let error, let at):
            try connection.execute(
                "UPDATE jumpchain.step SET state = 'failed', finished_at = $1, last_error = $2 WHERE run = $3 AND step_id = $4",
                [text(at), error, run, id])
        case .skipped(let id, let reason, let at):
            try connection.execute(
                "UPDATE jumpchain.step SET state = 'skipped', finished_at = $1, last_error = $2 WHERE run = $3 AND step_id = $4",
                [text(at), reason, run, id])
        case .reset(let id, let error):
            try connection.execute(
                """
                UPDATE jumpchain.step SET state = 'pending', last_error = coalesce($1, last_error)
                WHERE run = $2 AND step_id = $3
                """, [error, run, id])
        }
    }

    static func insert(_ event: WorkflowEvent, run: String, _ connection: PGConnection) throws(WorkflowError) -> Int64?
    {
        let rows = try connection.execute(
            """
            INSERT INTO jumpchain.event (run, at, kind, step_id, attempt, message, retry_delay, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq
            """,
            [
                run, text(event.time), event.kind.rawValue, event.stepID, event.attempt.map(String.init),
                event.message, event.retryDelaySeconds.map { "\($0)" }, event.status?.rawValue,
            ])
        return rows.first.flatMap { $0[0] }.flatMap { Int64($0) }
    }

    private func missing(_ connection: PGConnection) -> WorkflowError {
        WorkflowError(code: .runNotFound, message: "no run '\(runName)' in the state database \(connection.label)")
    }

    /// A time as text PostgreSQL reads back exactly (shortest round-tripping decimal of seconds since 1970).
    static func text(_ date: Date) -> String { "\(date.timeIntervalSince1970)" }

    static func date(_ text: String?) -> Date? {
        text.flatMap { Double($0) }.map(Date.init(timeIntervalSince1970:))
    }
}
