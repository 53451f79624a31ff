import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL cluster owned by the test run: `initdb` into a fresh temporary directory, `pg_ctl start` on a
/// free port listening on 127.0.0.1 only, one database per test, `pg_ctl stop -m immediate` at exit.
///
/// As root (CI) the server runs as the `postgres` user through `runuser` (initdb refuses root); otherwise as
/// the current user. Tests gate on ``unavailableReason`` (`.enabled(if: ThrowawayPostgres.isAvailable, …)`)
/// so a machine without PostgreSQL skips them with that reason printed.
public final class ThrowawayPostgres: @unchecked Sendable {
    // Invariant: every property is set in init and only read afterwards; `databases` is guarded by `lock`.
    /// The server's port on 127.0.0.1.
    public let port: Int
    /// The temporary directory holding the data directory (`pg/`), its log and socket.
    public let directory: String
    private let binaries: String
    private let lock = Mutex(())
    private var databases = 0

    private init(port: Int, directory: String, binaries: String) {
        self.port = port
        self.directory = directory
        self.binaries = binaries
    }

    /// Where `initdb`, `pg_ctl` and `createdb` live (the newest `/usr/lib/postgresql/*/bin`), if installed.
    public static let binaryDirectory: String? = {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for version in versions {
            let bin = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: bin + "/initdb")
                && FileManager.default.isExecutableFile(atPath: bin + "/pg_ctl")
            {
                return bin
            }
        }
        return nil
    }()

    /// Why PostgreSQL tests cannot run here, or `nil` when they can.
    public static let unavailableReason: String? = {
        guard binaryDirectory != nil else {
            return "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); `make test` installs it "
                + "with apt-get (package postgresql)"
        }
        if getuid() == 0 && getpwnam("postgres") == nil {
            return "running as root but there is no `postgres` user to run the server as (initdb refuses root)"
        }
        return nil
    }()

    /// Whether PostgreSQL tests can run here.
    public static var isAvailable: Bool { unavailableReason == nil }

    // MARK: The process-wide cluster

    nonisolated(unsafe) private static var sharedCluster: ThrowawayPostgres?
    private static let sharedLock = Mutex(())
    /// Started once, off the cooperative pool (initdb and pg_ctl block for seconds; on a 2-core machine that
    /// would starve every other test running at the same time).
    private static let sharedStart = Task<ThrowawayPostgres, any Error> {
        let cluster = try await offPool { try start() }
        sharedLock.withLock { _ in sharedCluster = cluster }
        atexit { ThrowawayPostgres.stopShared() }
        return cluster
    }

    /// The test process's cluster, started on first use and stopped when the process exits.
    public static func shared() async throws -> ThrowawayPostgres {
        try await sharedStart.value
    }

    private static func stopShared() {
        sharedLock.withLock { _ in
            sharedCluster?.stop()
            sharedCluster = nil
        }
    }

    /// Runs blocking work (process launches) on a thread of its own and awaits it.
    public static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    // MARK: Starting and stopping

    /// Starts a new cluster (about 2 s). Clusters left by earlier test processes that died are stopped first.
    /// It listens on 127.0.0.1 and on `extraListenAddresses` (e.g. a ``NetnsRig``'s public address), and trusts
    /// connections from `trustedNetworks` (CIDR, e.g. the rig's `10.X.0.0/16`) besides loopback.
    public static func start(
        extraListenAddresses: [String] = [], trustedNetworks: [String] = []
    ) throws
        -> ThrowawayPostgres
    {
        guard let binaries = binaryDirectory, unavailableReason == nil else {
            throw ThrowawayPostgresError(unavailableReason ?? "PostgreSQL is unavailable")
        }
        cleanUpLeftovers(binaries: binaries)
        let directory = NSTemporaryDirectory() + "jumpchain-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(
            atPath: directory + "/pg", withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755])
        chmod(directory, 0o755)
        chmod(directory + "/pg", 0o700)
        if getuid() == 0, let user = getpwnam("postgres") {
            chown(directory + "/pg", user.pointee.pw_uid, user.pointee.pw_gid)
        }
        // The port is chosen right before the server binds it, after initdb's seconds, and chosen again when another
        // process took it meanwhile (the test run's own listeners take OS-chosen ports all the time).
        let setup = ThrowawayPostgres(port: 0, directory: directory, binaries: binaries)
        do {
            try setup.runAsServerUser("initdb", ["-D", setup.dataDirectory, "-A", "trust", "-U", "postgres"])
            if !trustedNetworks.isEmpty {
                let hba = setup.dataDirectory + "/pg_hba.conf"
                let lines = trustedNetworks.map { "host all all \($0) trust\n" }.joined()
                guard let handle = FileHandle(forWritingAtPath: hba) else {
                    throw ThrowawayPostgresError("cannot open \(hba) to trust \(trustedNetworks)")
                }
                handle.seekToEndOfFile()
                handle.write(Data(lines.utf8))
                handle.closeFile()
            }
            let listen = (["127.0.0.1"] + extraListenAddresses).joined(separator: ",")
            let log = setup.dataDirectory + "/pg.log"
            for attempt in 1...5 {
                let port = try TLSTestServer.freePort()
                do {
                    try setup.runAsServerUser(
                        "pg_ctl",
                        [
                            "-D", setup.dataDirectory, "-o",
                            "-p \(port) -k \(setup.dataDirectory) -c listen_addresses=\(listen) -c fsync=on",
                            "-l", log, "-w", "-t", "60", "start",
                        ])
                    return ThrowawayPostgres(port: port, directory: directory, binaries: binaries)
                } catch {
                    // Most often the port was taken meanwhile ("Address already in use"); whatever it was, the log
                    // says it, and the next attempt takes another port.
                    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    let last = text.split(separator: "\n").suffix(3).joined(separator: " | ")
                    guard attempt < 5 else { throw error }
                    print("throwaway PostgreSQL: attempt \(attempt) on port \(port) did not start (\(last)); again")
                    try? setup.runAsServerUser("pg_ctl", ["-D", setup.dataDirectory, "-m", "immediate", "-w", "stop"])
                    try? FileManager.default.removeItem(atPath: log)
                }
            }
            throw ThrowawayPostgresError("PostgreSQL did not start after 5 attempts")
        } catch {
            setup.stop()
            throw error
        }
    }

    private var dataDirectory: String { directory + "/pg" }

    /// Stops the server at once (`-m immediate`) and removes its directory.
    public func stop() {
        try? runAsServerUser("pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Creates a fresh, empty database and returns its URL (`postgres://postgres@127.0.0.1:PORT/NAME`).
    /// `host` is the address the URL names (127.0.0.1, or an extra listen address the cluster was started with).
    public func createDatabase(_ label: String = "t", host: String = "127.0.0.1") async throws -> String {
        let number = lock.withLock { _ in
            databases += 1
            return databases
        }
        let safe = label.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" }
        let name = "jc_\(safe.prefix(30))_\(number)"
        let port = port
        try await Self.offPool {
            try self.runAsServerUser("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name])
        }
        return url(database: name, host: host)
    }

    /// The URL of a database on this cluster, through `host` (127.0.0.1 or one of the extra listen addresses).
    public func url(database: String, host: String = "127.0.0.1") -> String {
        "postgres://postgres@\(host):\(port)/\(database)"
    }

    /// Stops clusters in `jumpchain-pg-<pid>-*` directories whose test process is gone, and removes them.
    private static func cleanUpLeftovers(binaries: String) {
        let temporary = NSTemporaryDirectory()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        where name.hasPrefix("jumpchain-pg-") {
            let parts = name.split(separator: "-")
            guard parts.count >= 4, let pid = Int32(parts[2]), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let leftover = ThrowawayPostgres(port: 0, directory: temporary + name, binaries: binaries)
            leftover.stop()
        }
    }

    /// Runs a PostgreSQL tool (as the `postgres` user when root) with posix_spawn and waitpid, its output
    /// in a file (a server started by `pg_ctl` must not inherit a pipe the caller waits on).
    private func runAsServerUser(_ tool: String, _ arguments: [String]) throws {
        let executable: String
        let argv: [String]
        if getuid() == 0 {
            executable = "/usr/sbin/runuser"
            argv = ["runuser", "-u", "postgres", "--", binaries + "/" + tool] + arguments
        } else {
            executable = binaries + "/" + tool
            argv = [tool] + arguments
        }
        let outputPath = NSTemporaryDirectory() + "jumpchain-pgtool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, cArguments, environ)
        guard spawned == 0 else {
            throw ThrowawayPostgresError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ThrowawayPostgresError(
                "\(tool) \(arguments.joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
    }
}

/// Starting or using the throwaway cluster failed.
public struct ThrowawayPostgresError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
