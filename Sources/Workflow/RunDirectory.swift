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
