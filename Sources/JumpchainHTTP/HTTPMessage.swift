/// An HTTP method. A struct rather than an enum so callers may use any token the server understands.
public struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.uppercased() }

    public static let get = HTTPMethod(rawValue: "GET")
    public static let post = HTTPMethod(rawValue: "POST")
    public static let put = HTTPMethod(rawValue: "PUT")
    public static let patch = HTTPMethod(rawValue: "PATCH")
    public static let delete = HTTPMethod(rawValue: "DELETE")
    public static let head = HTTPMethod(rawValue: "HEAD")

    public var description: String { rawValue }
}

/// Header fields in order, looked up case-insensitively (HTTP/2 delivers names in lowercase).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}
    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name: name, value: value) }
    }

    public mutating func add(name: String, value: String) { fields.append((name, value)) }

    /// Replaces every field called `name` with one field.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    public mutating func remove(name: String) {
        fields.removeAll { $0.name.lowercased() == name.lowercased() }
    }

    /// The first value for `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        let lowered = name.lowercased()
        return fields.first { $0.name.lowercased() == lowered }?.value
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    /// Headers with sensitive values masked: safe to print.
    public var description: String {
        Redactor.redact(headers: self).map { "\($0.name): \($0.value)" }.joined(separator: ", ")
    }
}

/// One HTTP request. Credentials travel separately from the headers so that they are handed to libcurl
/// as user name and password and never exist as an `Authorization` string in our memory or logs.
public struct HTTPRequest: Sendable, CustomStringConvertible {
    public var method: HTTPMethod
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]?
    /// A body that contains secret material (a link config carrying `sasl.jaas.config`): the transport
    /// hands libcurl its own buffer and zeroes that buffer when the transfer ends. Takes precedence over
    /// ``body``.
    public var sensitiveBody: Secret?
    /// HTTP Basic credentials (key id as user name, secret as password).
    public var credential: APICredential?
    /// Overrides the client's total timeout for this request.
    public var timeout: Duration?

    public init(
        method: HTTPMethod, url: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil,
        credential: APICredential? = nil, timeout: Duration? = nil, sensitiveBody: Secret? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.sensitiveBody = sensitiveBody
        self.credential = credential
        self.timeout = timeout
    }

    /// `METHOD url`, never credentials or body.
    public var description: String { "\(method) \(url)" }
}

/// A complete HTTP response: status, headers and body are always returned, whatever the status.
public struct HTTPResponse: Sendable, CustomStringConvertible {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The HTTP version libcurl negotiated (1.1 or 2).
    public var httpVersion: String

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = [], httpVersion: String = "1.1") {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The body as UTF-8 text (lossy), for diagnostics.
    public var text: String { String(decoding: body, as: UTF8.self) }

    public var description: String { "HTTP \(status) (\(body.count) bytes)" }
}
