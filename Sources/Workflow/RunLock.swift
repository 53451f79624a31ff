import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who holds (or last held without releasing) a run's lock.
public struct LockHolder: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The holder's process id.
    public var pid: Int32
    /// The holder's host name.
    public var host: String

    /// Creates a holder description.
    public init(pid: Int32, host: String) {
        self.pid = pid
        self.host = host
    }

    /// The current process on this host.
    public static var current: LockHolder { LockHolder(pid: getpid(), host: RunLock.hostName()) }

    public var description: String { "pid \(pid) on host \(host)" }
}

/// An exclusive lock on a run: `flock(LOCK_EX|LOCK_NB)` on `<run-dir>/run.lock`, a separate file from the
/// SQLite store (SQLite's own POSIX locks are dropped when any descriptor on the database closes).
///
/// The file holds the holder's pid and host. The kernel drops the flock when the holder dies, so a dead
/// holder on *this* host is taken over silently. A holder on another host (state directory moved or
/// shared) cannot be checked; its unreleased record refuses the lock until ``forceUnlock(directory:)``.
/// flock is advisory and unreliable on NFS: keep run directories on local disk.
public final class RunLock: RunLease {
    /// The run directory this lock protects.
    public let directory: String
    private let descriptor: Int32
    private let released = Mutex(false)

    private init(directory: String, descriptor: Int32) {
        self.directory = directory
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Takes the run's lock, creating the run directory (0700) if needed.
    ///
    /// Throws ``WorkflowError/Code/runLocked`` at once if another runner holds it.
    ///
    /// A holder may remove the run (its lock file included) before it releases the lock (a refused first `apply`):
    /// a lock taken on a file that is no longer at its path protects nothing, so it is given up and taken again on
    /// the file that is there now.
    public static func acquire(directory: String, site: String? = nil) throws(WorkflowError) -> RunLock {
        for _ in 0..<8 {
            if let lock = try acquireOnce(directory: directory, site: site) { return lock }
        }
        throw WorkflowError(
            code: .lockFailed,
            message: "cannot lock '\(RunDirectory.lockPath(directory, site: site))': it was removed as it was locked, "
                + "again and again; is another process removing the run?")
    }

    /// One attempt of ``acquire(directory:site:)``: nil when the file it locked was removed (or replaced) meanwhile.
    private static func acquireOnce(directory: String, site: String?) throws(WorkflowError) -> RunLock? {
        try RunDirectory.prepare(directory)
        let path = RunDirectory.lockPath(directory, site: site)
        let subject = site.map { "site \($0) of the run in '\(directory)'" } ?? "run in '\(directory)'"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            // The run directory was removed between `prepare` and `open` (a refused run going): try again.
            if errno == ENOENT { return nil }
            throw WorkflowError(code: .lockFailed, message: "cannot open lock file '\(path)': \(errnoText())")
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let busy = errno == EWOULDBLOCK
            let reason = errnoText()
            let holder = readHolder(descriptor)
            close(descriptor)
            guard busy else {
                throw WorkflowError(code: .lockFailed, message: "cannot lock '\(path)': \(reason)")
            }
            let who = holder.map { "\($0)" } ?? "another process on this host"
            throw WorkflowError(
                code: .runLocked,
                message:
                    "\(subject) is locked by \(who); wait for it to finish or stop it "
                    + "(SIGINT/SIGTERM records an orderly stop) before running it again (force-unlock is only "
                    + "for a holder that died on another host)")
        }
        guard isStillAt(path, descriptor) else {
            flock(descriptor, LOCK_UN)
            close(descriptor)
            return nil
        }
        if let previous = readHolder(descriptor), previous.host != hostName() {
            flock(descriptor, LOCK_UN)
            close(descriptor)
            throw WorkflowError(
                code: .runLocked,
                message:
                    "\(subject) was locked by \(previous), which never released it; if that "
                    + "runner is dead, force-unlock the run (RunLock.forceUnlock / `jumpchain force-unlock`)")
        }
        let lock = RunLock(directory: directory, descriptor: descriptor)
        lock.writeHolder(.current)
        return lock
    }

    /// Releases the lock and clears the holder record. Idempotent.
    public func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        guard first else { return }
        _ = ftruncate(descriptor, 0)
        _ = fsync(descriptor)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// The holder recorded in the lock file (live or stale), if any.
    public static func recordedHolder(directory: String) -> LockHolder? {
        let descriptor = open(RunDirectory.lockPath(directory), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return readHolder(descriptor)
    }

    /// Clears a lock left by a holder that died on another host (like Terraform's `force-unlock`).
    ///
    /// Refuses with ``WorkflowError/Code/runLocked`` if a live process on this host holds the lock.
    /// Returns the holder that was cleared, if one was recorded.
    @discardableResult
    public static func forceUnlock(directory: String) throws(WorkflowError) -> LockHolder? {
        let path = RunDirectory.lockPath(directory)
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw WorkflowError(code: .lockFailed, message: "cannot open lock file '\(path)': \(errnoText())")
        }
        defer { close(descriptor) }
        let holder = readHolder(descriptor)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            throw WorkflowError(
                code: .runLocked,
                message:
                    "run in '\(directory)' is held by a live process (\(holder.map { "\($0)" } ?? "unknown")) "
                    + "on this host; stop it instead of forcing the lock")
        }
        _ = ftruncate(descriptor, 0)
        _ = fsync(descriptor)
        flock(descriptor, LOCK_UN)
        return holder
    }

    /// Whether another process holds the lock file at `path` now: one this process holds (its holder record is ours),
    /// or nobody, is not. (The probe takes the lock for an instant when it is free.)
    static func isHeldElsewhere(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        guard errno == EWOULDBLOCK else { return false }
        return readHolder(descriptor) != .current
    }

    /// Whether `descriptor` is the file at `path` now (same device and inode), not one unlinked since it was opened.
    private static func isStillAt(_ path: String, _ descriptor: Int32) -> Bool {
        var opened = stat()
        var current = stat()
        guard fstat(descriptor, &opened) == 0, stat(path, &current) == 0 else { return false }
        return opened.st_dev == current.st_dev && opened.st_ino == current.st_ino
    }

    private func writeHolder(_ holder: LockHolder) {
        guard let data = try? JSONEncoder().encode(holder) else { return }
        _ = ftruncate(descriptor, 0)
        _ = data.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        _ = fsync(descriptor)
    }

    private static func readHolder(_ descriptor: Int32) -> LockHolder? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return try? JSONDecoder().decode(LockHolder.self, from: Data(buffer[0..<count]))
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown-host" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
