import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension RunDirectory {
    /// Refuses a run directory, or a state file in it, that another user could read or write: the directory
    /// must have no group/other permission bits (0700), each file none either (0600), and all must belong to
    /// the current user. The error names the path and the command that fixes it; nothing is changed.
    public static func checkPrivate(_ directory: String) throws(WorkflowError) {
        try checkPrivate(path: directory, isDirectory: true)
        for name in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm", "run.lock"] {
            try checkPrivate(path: directory + "/" + name, isDirectory: false)
        }
    }

    private static func checkPrivate(path: String, isDirectory: Bool) throws(WorkflowError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }  // absent: created private later
        let kind = isDirectory ? "run directory" : "state file"
        if status.st_uid != geteuid() {
            throw WorkflowError(
                code: .insecurePermissions,
                message: "the \(kind) '\(path)' belongs to user id \(status.st_uid), not to you (\(geteuid())); "
                    + "jumpchain only uses run state its own user owns: run as that user, or move the run to a "
                    + "directory of yours")
        }
        let mode = status.st_mode & 0o777
        guard mode & 0o077 != 0 else { return }
        let wanted = isDirectory ? "700" : "600"
        throw WorkflowError(
            code: .insecurePermissions,
            message: "the \(kind) '\(path)' has mode \(String(mode, radix: 8)), looser than \(wanted): other users "
                + "could read the run's state; fix it with `chmod \(wanted) \(path)`")
    }
}
