import Foundation

/// A PostgreSQL connection URL, which may carry a password: kept in one buffer that is zeroed when the last
/// reference goes, lent to libpq only, and described everywhere else by ``label`` (the URL without password).
///
/// Prefer no password in the URL at all: libpq reads `PGPASSWORD` and `~/.pgpass` itself.
public final class ConnectionString: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: `bytes` is written once in init and only read until deinit.
    /// The URL without its password (`postgres://user@host:port/db`), for messages and status output.
    public let label: String
    private let bytes: UnsafeMutableBufferPointer<CChar>

    /// Takes a `postgres://` or `postgresql://` URL; throws a message naming what to fix (never the URL itself
    /// when it carries a password) when it is not one.
    public init(_ url: String) throws(PostgresURLError) {
        guard Self.isPostgresURL(url) else {
            throw PostgresURLError(
                message: "a PostgreSQL state must be a postgres:// or postgresql:// URL "
                    + "(postgres://user@host:port/database)")
        }
        let rest = url[url.range(of: "://")!.upperBound...].split(separator: "?", maxSplits: 1).first ?? ""
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw PostgresURLError(
                message: "the PostgreSQL state URL \(Self.redact(url)) names no database "
                    + "(postgres://user@host:port/database)")
        }
        label = Self.redact(url)
        let utf8 = Array(url.utf8CString)
        bytes = .allocate(capacity: utf8.count)
        _ = bytes.initialize(from: utf8)
    }

    deinit {
        bytes.update(repeating: 0)
        bytes.deallocate()
    }

    /// Lends the URL as a C string (to libpq, which copies it).
    func withCString<T>(_ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        try body(UnsafePointer(bytes.baseAddress!))
    }

    /// Whether `text` selects the PostgreSQL backend.
    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Whether the URL carries a password (in its user info or as a `password=` parameter).
    public static func carriesPassword(_ url: String) -> Bool {
        redact(url) != url
    }

    /// The URL without its password: `user:secret@` becomes `user@`, a `password=` parameter is dropped.
    public static func redact(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let prefix = url[..<scheme.upperBound]
        var rest = String(url[scheme.upperBound...])
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = String(rest[..<mark])
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        let path = String(rest[authorityEnd...])
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            let user = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            authority = String(user) + authority[at...]
        }
        let kept = query.split(separator: "&").filter { !$0.lowercased().hasPrefix("password=") }
        return String(prefix) + authority + path + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
    }
}

/// A `--state` / `JUMPCHAIN_STATE` value that is not a usable PostgreSQL URL.
public struct PostgresURLError: Error, Sendable, CustomStringConvertible {
    /// What is wrong and what to write instead; never contains a password.
    public var message: String
    public var description: String { message }
}
