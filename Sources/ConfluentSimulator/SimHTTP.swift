import JumpchainJSON
import Synchronization

/// A request as the world sees it: no NIO types, parsed once by the listener.
struct SimRequest: Sendable {
    var method: String
    var path: String
    var query: [String: [String]]
    var headers: [String: String]
    var body: [UInt8]
    /// The Basic credential, if the request carried one that decodes.
    var credential: (key: String, secret: String)?

    /// The body parsed once, before the world lock is taken (nil when empty or not one JSON value).
    let json: JSON?

    init(
        method: String, path: String, query: [String: [String]], headers: [String: String], body: [UInt8],
        credential: (key: String, secret: String)?
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.credential = credential
        self.json = body.isEmpty ? nil : try? JSON.parse(body, maximumDepth: 64)
    }

    var segments: [String] { path.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }

    func queryValue(_ name: String) -> String? { query[name]?.first }

    func queryBool(_ name: String, default fallback: Bool) -> Bool {
        guard let value = queryValue(name) else { return fallback }
        return value.lowercased() == "true"
    }
}

/// An answer: status, headers and body bytes.
struct SimResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: [UInt8] = []

    static func json(_ status: Int, _ value: JSON, headers: [(String, String)] = []) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.serialized())
    }

    static func empty(_ status: Int) -> SimResponse { SimResponse(status: status) }

    /// Kafka REST error body `{error_code, message}`.
    static func kafka(_ status: Int, _ code: Int, _ message: String) -> SimResponse {
        .json(status, ["error_code": .int(code), "message": .string(message)])
    }

    /// Control-plane error body `{errors:[{id, status, code, title, detail}]}`.
    static func cloud(
        _ status: Int, _ code: String, _ title: String, _ detail: String, headers: [(String, String)] = [],
        source: JSON? = nil
    ) -> SimResponse {
        var error: [(String, JSON)] = [
            ("id", .string(ErrorIDs.next())), ("status", .string(String(status))), ("code", .string(code)),
            ("title", .string(title)), ("detail", .string(detail)),
        ]
        if let source { error.append(("source", source)) }
        return .json(status, ["errors": [.object(error)]], headers: headers)
    }

    /// The HTML page Confluent's front end (Jetty DoSFilter) sends with a 429 on cluster endpoints.
    static func htmlTooManyRequests() -> SimResponse {
        let html = """
            <html>
            <head>
            <meta http-equiv="Content-Type" content="text/html;charset=utf-8"/>
            <title>Error 429 Too Many Requests</title>
            </head>
            <body><h2>HTTP ERROR 429 Too Many Requests</h2>
            <table>
            <tr><th>URI:</th><td>/kafka/v3/clusters</td></tr>
            <tr><th>STATUS:</th><td>429</td></tr>
            <tr><th>MESSAGE:</th><td>Too Many Requests</td></tr>
            </table>
            </body>
            </html>
            """
        return SimResponse(
            status: 429, headers: [("Content-Type", "text/html;charset=utf-8")], body: Array(html.utf8))
    }
}

/// An answer that ends a handler early (a validation failure), carried through `Result`.
struct Refusal: Error {
    var response: SimResponse
}

/// Unique ids for control-plane error objects.
enum ErrorIDs {
    private static let counter = Mutex<Int>(0)

    static func next() -> String {
        let value = counter.withLock { value -> Int in
            value += 1
            return value
        }
        return "sim-error-\(value)"
    }
}
