import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RunStore {
    /// Opens an existing run for reading only (`status`, `graph`, `verify`): nothing is written, no schema is
    /// created in an empty file, and a run directory the caller cannot write to can still be read.
    ///
    /// Throws ``WorkflowError/Code/runNotFound`` when there is no store, and
    /// ``WorkflowError/Code/storeCorrupt`` when the store is empty, is not a database, holds no run, or fails its
    /// integrity check; ``WorkflowError/Code/insecurePermissions`` as ``open(directory:)`` does.
    public static func openReadOnly(directory: String) throws(WorkflowError) -> RunStore {
        let path = RunDirectory.storePath(directory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw WorkflowError(code: .runNotFound, message: "no run in '\(directory)' (no \(path))")
        }
        if StoreFile.size(path) == 0 { throw StoreFile.emptyError(path, code: .storeCorrupt) }
        // Loose modes or a foreign owner are refused here too: status must not read state others could alter.
        try RunDirectory.checkPrivate(directory)
        // Without a -wal file no writer is attached and the file is complete: read it as it is, which creates no
        // -wal/-shm files. With one, share the writer's WAL index to see its latest commits.
        let writerAttached = FileManager.default.fileExists(atPath: path + "-wal")
        var queue: DatabaseQueue
        do {
            queue = try StoreFile.readOnlyQueue(path, immutable: !writerAttached)
            try guarded(path) { [queue] in _ = try queue.read { db in try db.tableExists("run") } }
        } catch {
            // The WAL index cannot be shared (a directory we cannot write to, a writer that died mid-run): read
            // the file as it is, which may miss the last commits still in the -wal file.
            guard writerAttached else { throw error }
            queue = try StoreFile.readOnlyQueue(path, immutable: true)
        }
        try guarded(path) {
            let result = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            guard result == "ok" else {
                throw WorkflowError(
                    code: .storeCorrupt,
                    message: "the store '\(path)' fails its integrity check (\(result ?? "no answer"))")
            }
        }
        try checkVersion(queue, path: path)
        let name = try guarded(path) {
            try queue.read { db -> String? in
                guard try db.tableExists("run") else { return nil }
                return try String.fetchOne(db, sql: "SELECT name FROM run")
            }
        }
        guard let name else {
            throw WorkflowError(
                code: .storeCorrupt, message: "the store '\(path)' holds no run (its creation was interrupted)")
        }
        return RunStore(directory: directory, runName: name, pool: queue)
    }
}

/// The store file itself: created private, checked for emptiness, opened read-only.
enum StoreFile {
    /// The file's size in bytes, or nil when it cannot be examined.
    static func size(_ path: String) -> Int64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Int64(status.st_size)
    }

    static func emptyError(_ path: String, code: WorkflowError.Code = .runNotFound) -> WorkflowError {
        WorkflowError(code: code, message: "the store '\(path)' is empty (0 bytes): it holds no run")
    }

    /// Creates `path` if missing and sets its mode to 0600 whatever the process umask, so the store (and the
    /// WAL files SQLite gives the same mode) start private. The one private-file helper of the run directory.
    static func createPrivate(_ path: String) throws(WorkflowError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw WorkflowError(
                code: .storeFailure, message: "cannot open the store '\(path)': \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & 0o777 != 0o600 {
            _ = fchmod(descriptor, 0o600)
        }
    }

    /// Makes a rename in `directory` durable.
    static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }

    /// A read-only connection; `immutable` reads the file as it is, without the WAL's shared memory (for a
    /// directory that cannot be written).
    static func readOnlyQueue(_ path: String, immutable: Bool) throws(WorkflowError) -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let location = immutable ? "file:" + uriPath(path) + "?immutable=1" : path
        return try RunStore.guarded(path) { try DatabaseQueue(path: location, configuration: configuration) }
    }

    /// `path` percent-encoded for an SQLite `file:` URI (absolute, so the URI has no authority).
    private static func uriPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute
    }
}
