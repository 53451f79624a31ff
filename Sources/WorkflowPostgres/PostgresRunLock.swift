import Foundation
import Synchronization
public import Workflow

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A run's lock in PostgreSQL: a session-level advisory lock held by a connection of its own for as long as
/// the runner works. PostgreSQL releases it when that session ends — also when the holder is killed or its
/// host dies (once the server notices the connection is gone) — so a dead holder never needs force-unlock.
///
/// Who holds it is recorded in `jumpchain.lock_holder` (pid, host, server session), so a refused runner can
/// say who to wait for. The key is derived from ``lockKey(run:site:)``: a multi-site run has one lock per site
/// (its holder row is keyed `<run>@site:<site>`), so two runners of the same run and site are one refused.
public final class PostgresRunLock: RunLease, @unchecked Sendable {
    // Invariant behind @unchecked Sendable: `connection` is only used while holding `lock`, and set to nil
    // once released.
    private let lock = Mutex(())
    private var connection: PGConnection?
    private let run: String

    private init(connection: PGConnection, run: String) {
        self.connection = connection
        self.run = run
    }

    deinit { release() }

    /// The advisory lock's name for a run.
    static func lockKey(run: String) -> String { "jumpchain run \(run)" }

    /// The advisory lock's name for one site of a run (the run's own name when `site` is nil).
    static func lockKey(run: String, site: String?) -> String { lockKey(run: subject(run: run, site: site)) }

    /// What a lock is taken on, and its `lock_holder` row's key: the run, or `<run>@site:<site>`.
    static func subject(run: String, site: String?) -> String {
        site.map { "\(run)@site:\($0)" } ?? run
    }

    /// Takes the lock of `site` of `run` (see ``acquire(run:connection:)``). Holder rows of the run's sites whose
    /// server session has ended are cleared then: the server dropped a killed holder's lock, not its row, and a
    /// site taken once per process (a session's lease, `session-<nonce>`) would otherwise leave one per kill. Only a
    /// row still naming the ended session goes: one a new holder took over meanwhile (a new `backend_pid`) stays.
    static func acquire(run: String, site: String, connection: PGConnection) throws(WorkflowError) -> PostgresRunLock {
        let lease = try acquire(run: subject(run: run, site: site), connection: connection)
        _ = try? connection.execute(
            """
            DELETE FROM jumpchain.lock_holder h USING (
                SELECT run, backend_pid FROM jumpchain.lock_holder d WHERE left(d.run, length($1)) = $1
                    AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = d.backend_pid)
            ) dead
            WHERE h.run = dead.run AND h.backend_pid = dead.backend_pid
            """, [subject(run: run, site: "")])
        return lease
    }

    /// Takes the lock of `run`, or throws ``WorkflowError/Code/runLocked`` naming the live holder.
    static func acquire(run: String, connection: PGConnection) throws(WorkflowError) -> PostgresRunLock {
        let rows = try connection.execute(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", [lockKey(run: run)])
        guard rows.first?[0] == "t" else {
            let holder = try? recordedHolder(run: run, connection)
            throw WorkflowError(
                code: .runLocked,
                message:
                    "run \(run) in \(connection.label) is locked by \(holder.map { "\($0)" } ?? "another session") "
                    + "(a live PostgreSQL session holds its advisory lock); wait for it to finish or stop it "
                    + "(SIGINT/SIGTERM records an orderly stop) before running it again")
        }
        let holder = LockHolder.current
        try connection.execute(
            """
            INSERT INTO jumpchain.lock_holder (run, pid, host, backend_pid, since)
            VALUES ($1, $2, $3, pg_backend_pid(), $4)
            ON CONFLICT (run) DO UPDATE SET pid = EXCLUDED.pid, host = EXCLUDED.host,
                backend_pid = EXCLUDED.backend_pid, since = EXCLUDED.since
            """, [run, String(holder.pid), holder.host, PostgresRunStore.text(Date())])
        return PostgresRunLock(connection: connection, run: run)
    }

    /// Releases the advisory lock, clears the holder record and closes the session. Idempotent.
    public func release() {
        let connection = lock.withLock { _ -> PGConnection? in
            defer { self.connection = nil }
            return self.connection
        }
        guard let connection else { return }
        _ = try? connection.execute(
            "DELETE FROM jumpchain.lock_holder WHERE run = $1 AND backend_pid = pg_backend_pid()", [run])
        _ = try? connection.execute(
            "SELECT pg_advisory_unlock(hashtextextended($1, 0))", [Self.lockKey(run: run)])
    }

    /// The holder recorded for `run` (live, or left by a session that ended), if any.
    static func recordedHolder(run: String, _ connection: PGConnection) throws(WorkflowError) -> LockHolder? {
        let rows = try connection.execute("SELECT pid, host FROM jumpchain.lock_holder WHERE run = $1", [run])
        guard let row = rows.first, let pid = row[0].flatMap({ Int32($0) }), let host = row[1] else { return nil }
        return LockHolder(pid: pid, host: host)
    }

    /// Clears the holder record of `run` if no live session holds its lock; refuses a live holder.
    static func forceUnlock(run: String, connection: PGConnection) throws(WorkflowError) -> LockHolder? {
        let lease = try acquireForUnlock(run: run, connection: connection)
        let holder = try recordedHolder(run: run, connection)
        try connection.execute("DELETE FROM jumpchain.lock_holder WHERE run = $1", [run])
        lease.release()
        return holder
    }

    private static func acquireForUnlock(
        run: String, connection: PGConnection
    ) throws(WorkflowError)
        -> PostgresRunLock
    {
        let rows = try connection.execute(
            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", [lockKey(run: run)])
        guard rows.first?[0] == "t" else {
            let holder = try? recordedHolder(run: run, connection)
            throw WorkflowError(
                code: .runLocked,
                message:
                    "run \(run) in \(connection.label) is held by a live session "
                    + "(\(holder.map { "\($0)" } ?? "unknown")); stop that runner instead of forcing the lock "
                    + "(PostgreSQL releases the lock by itself when its holder dies)")
        }
        return PostgresRunLock(connection: connection, run: run)
    }
}
