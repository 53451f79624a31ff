import CLibPQ
import Foundation
import Workflow

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One libpq connection. Not thread-safe: its owner serialises every use (``PostgresRunStore`` under a mutex,
/// ``PostgresRunLock`` alone).
final class PGConnection {
    private let handle: OpaquePointer
    /// The secret-free database description for messages.
    let label: String

    private init(handle: OpaquePointer, label: String) {
        self.handle = handle
        self.label = label
    }

    deinit { PQfinish(handle) }

    /// Connects with `connection` (a URL or `key=value` string that may carry a password); the connection
    /// string's own settings override the defaults set here (10 s connect timeout, application name).
    static func connect(_ connection: ConnectionString) throws(WorkflowError) -> PGConnection {
        let handle: OpaquePointer? = connection.withCString { conninfo in
            let keywords = ["connect_timeout", "application_name", "dbname"]
            let values = ["10", "jumpchain"]
            let keywordPointers = keywords.map { strdup($0) } + [nil]
            let valuePointers = values.map { strdup($0) }
            defer {
                for pointer in keywordPointers { free(pointer) }
                for pointer in valuePointers { free(pointer) }
            }
            var allValues: [UnsafePointer<CChar>?] = valuePointers.map { UnsafePointer($0) }
            allValues.append(conninfo)
            allValues.append(nil)
            let allKeywords: [UnsafePointer<CChar>?] = keywordPointers.map { UnsafePointer($0) }
            return PQconnectdbParams(allKeywords, allValues, 1)
        }
        guard let handle else {
            throw WorkflowError(
                code: .storeFailure, message: "cannot connect to \(connection.label): libpq is out of memory")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = Self.message(PQerrorMessage(handle))
            PQfinish(handle)
            throw WorkflowError(
                code: .storeFailure,
                message: "cannot connect to the state database \(connection.label): \(reason)")
        }
        let connection = PGConnection(handle: handle, label: connection.label)
        // Durability must not depend on the server's defaults: a commit returns once it is on disk. Notices
        // ("schema already exists, skipping") are not for the user's terminal: libpq prints them to stderr.
        try connection.execute("SET synchronous_commit TO on; SET client_min_messages TO warning")
        return connection
    }

    /// Whether the connection is usable; if not, tries to re-establish it once (outside a transaction only).
    func ensureConnected() throws(WorkflowError) {
        guard PQstatus(handle) != CONNECTION_OK else { return }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw WorkflowError(
                code: .storeFailure,
                message: "lost the connection to the state database \(label): \(Self.message(PQerrorMessage(handle)))")
        }
        try execute("SET synchronous_commit TO on; SET client_min_messages TO warning")
    }

    /// The server's process id for this session.
    var backendPID: Int32 { PQbackendPID(handle) }

    /// Runs one statement with text parameters (`$1`, `$2`, …; `nil` is SQL NULL) and returns its rows as text.
    /// Without parameters several `;`-separated statements may be sent at once.
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?] = []) throws(WorkflowError) -> [[String?]] {
        let result: OpaquePointer?
        if parameters.isEmpty {
            result = PQexec(handle, sql)
        } else {
            let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
            defer { for pointer in copies { free(pointer) } }
            let values: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
            result = PQexecParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard let result else {
            throw WorkflowError(
                code: .storeFailure,
                message: "the state database \(label) did not answer: \(Self.message(PQerrorMessage(handle)))")
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let sqlState = PQresultErrorField(result, clibpq_diag_sqlstate()).map { String(cString: $0) } ?? ""
            let reason = Self.message(PQresultErrorMessage(result))
            throw WorkflowError(
                code: .storeFailure,
                message: "the state database \(label) refused a statement: \(reason)"
                    + (sqlState.isEmpty ? "" : " (SQLSTATE \(sqlState))"))
        }
        let rows = Int(PQntuples(result))
        let columns = Int(PQnfields(result))
        var table: [[String?]] = []
        table.reserveCapacity(rows)
        for row in 0..<rows {
            var values: [String?] = []
            values.reserveCapacity(columns)
            for column in 0..<columns {
                if PQgetisnull(result, Int32(row), Int32(column)) != 0 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            table.append(values)
        }
        return table
    }

    /// Runs `body` in a transaction: committed (durably) when it returns, rolled back when it throws.
    @discardableResult
    func transaction<T>(_ body: () throws(WorkflowError) -> T) throws(WorkflowError) -> T {
        try ensureConnected()
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    private static func message(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: "; ")
    }
}
