import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a run's files live: `<dir>/state.sqlite` (the store) and `<dir>/run.lock` (the run lock).
public enum RunDirectory {
    /// The default run directory for `runName`: `./.jumpchain/<run-name>`.
    public static func defaultPath(runName: String) -> String {
        ".jumpchain/" + runName
    }

    /// The store's file inside a run directory.
    public static func storePath(_ directory: String) -> String {
        directory + "/state.sqlite"
    }

    /// The lock file inside a run directory.
    public static func lockPath(_ directory: String) -> String {
        directory + "/run.lock"
    }

    /// The lock file of one site of a multi-site run (`run.<site>.lock`): each site runs under its own lock.
    public static func lockPath(_ directory: String, site: String?) -> String {
        guard let site else { return lockPath(directory) }
        return directory + "/run.\(site).lock"
    }

    /// Creates `directory` and any missing parents with mode 0700 (the store holds run metadata only,
    /// but nobody else needs to read it).
    public static func prepare(_ directory: String) throws(WorkflowError) {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o700) != 0 && errno != EEXIST {
                let reason = String(cString: strerror(errno))
                throw WorkflowError(
                    code: .storeFailure, message: "cannot create run directory '\(path)': \(reason)")
            }
        }
    }
}

extension RunDirectory {
    /// The files the engine creates in a run directory, and nothing else.
    public static let engineFiles = [
        "state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "state.sqlite-journal", "state.sqlite.creating",
        "state.sqlite.creating-journal", "run.lock",
    ]

    /// Where ``RunStore/create(directory:runName:plan:manifest:)`` builds a new store before renaming it.
    static func stagingStorePath(_ directory: String) -> String {
        storePath(directory) + ".creating"
    }

    /// Removes the engine's own files from `directory`, then the directory itself if that left it empty.
    /// Anything else in it (another run's files, a user's) is left alone, and so is a lock file another process
    /// holds (another site's runner of a multi-site run: its lock still guards its site).
    public static func removeEngineFiles(_ directory: String) {
        // Each site's lock of a multi-site run (`run.<site>.lock`).
        let siteLocks = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0 != "run.lock" && $0.hasPrefix("run.") && $0.hasSuffix(".lock")
        }
        for name in engineFiles + siteLocks {
            let path = directory + "/" + name
            if name.hasSuffix(".lock"), RunLock.isHeldElsewhere(path) { continue }
            unlink(path)
        }
        rmdir(directory)
    }

    /// The entries of `directory` the engine did not create (empty when it holds only a run's files).
    public static func foreignEntries(_ directory: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return entries.filter { !engineFiles.contains($0) && !($0.hasPrefix("run.") && $0.hasSuffix(".lock")) }.sorted()
    }
}
