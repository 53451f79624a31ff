public import JumpchainHTTP

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a secret comes from. Playbooks hold these, never the secret itself, so a playbook can be
/// committed, printed, hashed and stored in a run's state without leaking anything.
///
/// Written in YAML as `env:VAR`, `file:PATH` (a regular file with mode 0600 or 0400; relative paths are
/// relative to the playbook) or `stdin` (one line per reference, in ``Playbook/stdinOrder``).
public enum SecretReference: Sendable, Hashable, Codable, CustomStringConvertible {
    /// An environment variable's value.
    case env(String)
    /// A file's content with one trailing newline removed; the path is absolute once loaded.
    case file(String)
    /// One line of standard input; the label is the playbook field (e.g. `origin.credentials.secret`).
    case stdin(String)

    public var description: String {
        switch self {
        case .env(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        case .stdin: "stdin"
        }
    }

    /// Reads the secret. `field` only improves the error message (e.g. `origin.credentials.secret`).
    /// Errors name the variable, file or field and never contain the secret.
    public func resolve(
        environment: [String: String], stdin: StdinSecrets, field: String? = nil
    ) throws(PlaybookError) -> Secret {
        let forField = field.map { " (for `\($0)`)" } ?? ""
        switch self {
        case .env(let name):
            guard let value = environment[name] else {
                throw PlaybookError(
                    code: .secretUnavailable,
                    message: "environment variable `\(name)`\(forField) is not set; export it before running jumpchain")
            }
            guard !value.isEmpty else {
                throw PlaybookError(
                    code: .secretUnavailable, message: "environment variable `\(name)`\(forField) is empty")
            }
            return Secret(value)
        case .file(let path):
            return try SecretFile.readSecret(path: path, forField: forField)
        case .stdin(let label):
            return try stdin.secret(for: label)
        }
    }
}

/// Reads `file:` secrets and enforces the permission rule both when a playbook loads and when the secret
/// is read, because the file can change in between.
enum SecretFile {
    /// nil when the file is acceptable; otherwise what is wrong and how to fix it.
    static func problem(path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return "secret file `\(path)` cannot be read: \(String(cString: strerror(errno)))"
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return "secret file `\(path)` is not a regular file"
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o7177 == 0, mode & 0o400 != 0 else {
            let octal = String(mode, radix: 8)
            return "secret file `\(path)` has mode 0\(octal) but must be readable by its owner only (0600 or 0400); "
                + "run `chmod 600 \(path)`"
        }
        return nil
    }

    static func readSecret(path: String, forField: String) throws(PlaybookError) -> Secret {
        if let problem = problem(path: path) {
            let code: PlaybookError.Code = problem.contains("chmod") ? .secretFileInsecure : .fileUnreadable
            throw PlaybookError(code: code, message: problem + forField)
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw PlaybookError(
                code: .fileUnreadable,
                message: "secret file `\(path)`\(forField) cannot be opened: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        defer { wipe(&bytes) }
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer { wipe(&chunk) }
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                throw PlaybookError(code: .fileUnreadable, message: "secret file `\(path)`\(forField) cannot be read")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        var end = bytes.count
        if end > 0, bytes[end - 1] == 0x0A { end -= 1 }
        if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
        guard end > 0 else {
            throw PlaybookError(code: .secretUnavailable, message: "secret file `\(path)`\(forField) is empty")
        }
        return Secret(bytes: bytes[0..<end])
    }

    static func wipe(_ bytes: inout [UInt8]) {
        for index in bytes.indices { bytes[index] = 0 }
    }
}
