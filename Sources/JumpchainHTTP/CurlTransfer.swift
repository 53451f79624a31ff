import CCurl

/// One HTTP exchange on one libcurl easy handle.
///
/// Lives from submission until libcurl reports it done (or it is cancelled). The driver's in-flight table
/// keeps it alive while libcurl holds `Unmanaged` pointers to it in the write and header callbacks.
final class CurlTransfer: @unchecked Sendable {
    // Invariant behind @unchecked Sendable: after `configure` the fields below are touched only by the
    // driver thread (callbacks run inside curl_multi_perform on that thread); `cancelRequested` and
    // `continuation` are guarded by the driver's submission lock.
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    let request: HTTPRequest
    let maxResponseBytes: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var bodyBuffer: UnsafeMutableBufferPointer<UInt8>?
    let errorBuffer: UnsafeMutablePointer<CChar>
    var body: [UInt8] = []
    var headers = HTTPHeaders()
    var overflowed = false
    var continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>?
    var cancelRequested = false

    init?(id: UInt64, request: HTTPRequest, maxResponseBytes: Int) {
        guard let easy = curl_easy_init() else { return nil }
        self.id = id
        self.easy = easy
        self.request = request
        self.maxResponseBytes = maxResponseBytes
        let size = Int(ccurl_error_size())
        errorBuffer = .allocate(capacity: size)
        errorBuffer.initialize(repeating: 0, count: size)
    }

    deinit {
        curl_easy_cleanup(easy)
        if let headerList { curl_slist_free_all(headerList) }
        if let bodyBuffer {
            bodyBuffer.update(repeating: 0)
            bodyBuffer.deallocate()
        }
        errorBuffer.deallocate()
    }

    /// Sets every option. Returns a message when the request cannot be expressed to libcurl.
    func configure(_ configuration: HTTPClient.Configuration) -> String? {
        var failures: [String] = []
        func check(_ code: CURLcode, _ what: String) {
            if code != CURLE_OK { failures.append("\(what): \(String(cString: curl_easy_strerror(code)))") }
        }
        check(ccurl_easy_setopt_string(easy, CURLOPT_URL, request.url), "url")
        check(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "nosignal")
        check(ccurl_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1), "tcp_nodelay")
        check(ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        // Redirects are never followed (a 3xx is returned as it is), so the credential cannot be sent to
        // another host; UNRESTRICTED_AUTH stays off should following ever be enabled.
        check(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0), "followlocation")
        check(ccurl_easy_setopt_long(easy, CURLOPT_UNRESTRICTED_AUTH, 0), "unrestricted auth")
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "errorbuffer")
        check(ccurl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, ccurl_http_version_2tls()), "http_version")
        check(ccurl_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1), "pipewait")
        let total = request.timeout ?? configuration.timeout
        check(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(total.milliseconds)), "timeout")
        check(
            ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout.milliseconds)),
            "connect timeout")
        // TLS verification is never turned off.
        check(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1), "verifypeer")
        check(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2), "verifyhost")
        if let caBundle = configuration.caBundlePath {
            check(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caBundle), "ca bundle")
        }
        if let certificate = configuration.clientCertificatePath {
            check(ccurl_easy_setopt_string(easy, CURLOPT_SSLCERT, certificate), "client certificate")
        }
        if let key = configuration.clientKeyPath {
            check(ccurl_easy_setopt_string(easy, CURLOPT_SSLKEY, key), "client key")
        }
        // An empty proxy disables http_proxy/https_proxy/all_proxy from the environment.
        check(ccurl_easy_setopt_string(easy, CURLOPT_PROXY, configuration.proxy ?? ""), "proxy")
        check(ccurl_easy_setopt_string(easy, CURLOPT_NOPROXY, configuration.proxy == nil ? "*" : ""), "noproxy")

        let method = request.method
        if method == .get {
            check(ccurl_easy_setopt_long(easy, CURLOPT_HTTPGET, 1), "get")
        } else if method == .head {
            check(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1), "head")
        } else {
            check(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method.rawValue), "method")
        }
        let bodyBytes: [UInt8]? = request.sensitiveBody.map { secret in secret.withBytes { Array($0) } } ?? request.body
        if var bodyBytes {
            // Our own buffer, passed without copying (POSTFIELDS) and zeroed in deinit, so that a body carrying
            // credentials does not linger in a libcurl copy we cannot wipe. Size first: otherwise libcurl
            // measures with strlen() and truncates at the first NUL.
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bodyBytes.count, 1))
            _ = buffer.initialize(from: bodyBytes)
            bodyBytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            bodyBuffer = buffer
            check(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyBytes.count)), "body size")
            check(ccurl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, buffer.baseAddress), "body")
        } else if method == .post || method == .put || method == .patch {
            check(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, 0), "body size")
            check(ccurl_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, ""), "body")
        }

        var list: UnsafeMutablePointer<curl_slist>?
        var sawExpect = false
        for field in request.headers {
            if field.name.lowercased() == "authorization" { continue }  // credentials go through USERNAME/PASSWORD
            if field.name.lowercased() == "expect" { sawExpect = true }
            list = curl_slist_append(list, "\(field.name): \(field.value)")
        }
        if !sawExpect { list = curl_slist_append(list, "Expect:") }
        headerList = list
        check(ccurl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list), "headers")

        if let credential = request.credential {
            check(ccurl_easy_setopt_long(easy, CURLOPT_HTTPAUTH, ccurl_auth_basic()), "auth")
            check(ccurl_easy_setopt_string(easy, CURLOPT_USERNAME, credential.key), "username")
            credential.secret.withBytes { bytes in
                // libcurl copies the string; our temporary C copy is zeroed before it is freed.
                let cString = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                for index in 0..<bytes.count { cString[index] = CChar(bitPattern: bytes[index]) }
                cString[bytes.count] = 0
                check(ccurl_easy_setopt_string(easy, CURLOPT_PASSWORD, cString), "password")
                cString.update(repeating: 0, count: bytes.count + 1)
                cString.deallocate()
            }
        }

        let context = Unmanaged.passUnretained(self).toOpaque()
        check(ccurl_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback), "write callback")
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context), "write data")
        check(ccurl_easy_setopt_data_cb(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback), "header callback")
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context), "header data")
        check(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context), "private")
        return failures.isEmpty ? nil : failures.joined(separator: "; ")
    }

    /// Builds the outcome once libcurl reports the transfer done with `code`.
    func outcome(_ code: CURLcode) -> Result<HTTPResponse, TransportError> {
        if overflowed {
            return .failure(
                TransportError(
                    code: .responseTooLarge,
                    message: "response body exceeds the limit of \(maxResponseBytes) bytes; refused",
                    request: request.description))
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let summary = String(cString: curl_easy_strerror(code))
            let message = Redactor.redact(
                text: detail.isEmpty ? summary : "\(summary): \(detail)",
                credentials: request.credential.map { [$0] } ?? [])
            return .failure(
                TransportError(
                    code: Self.classify(code), message: message, request: request.description,
                    curlCode: Int(code.rawValue)))
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        var version = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_HTTP_VERSION, &version)
        let versionText = version >= ccurl_http_version_2_0() ? "2" : "1.1"
        return .success(HTTPResponse(status: status, headers: headers, body: body, httpVersion: versionText))
    }

    static func classify(_ code: CURLcode) -> TransportError.Code {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: return .couldNotResolveHost
        case CURLE_COULDNT_CONNECT: return .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT: return .timedOut
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS,
            CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM, CURLE_READ_ERROR:
            return .sendOrReceive
        case CURLE_ABORTED_BY_CALLBACK: return .cancelled
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .invalidRequest
        default: return .other
        }
    }
}

private let curlWriteCallback: ccurl_data_cb = { data, size, count, context in
    guard let context, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    if transfer.body.count + length > transfer.maxResponseBytes {
        transfer.overflowed = true
        return 0  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
    }
    data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        transfer.body.append(contentsOf: UnsafeBufferPointer(start: bytes, count: length))
    }
    return length
}

private let curlHeaderCallback: ccurl_data_cb = { data, size, count, context in
    guard let context, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let line = data.withMemoryRebound(to: UInt8.self, capacity: length) { bytes in
        String(decoding: UnsafeBufferPointer(start: bytes, count: length), as: UTF8.self)
    }
    if line.hasPrefix("HTTP/") {
        // A new response block (100-continue, redirects): start the header list afresh.
        transfer.headers = HTTPHeaders()
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon]).trimmingWhitespace()
        let value = String(line[line.index(after: colon)...]).trimmingWhitespace()
        if !name.isEmpty { transfer.headers.add(name: name, value: value) }
    }
    return length
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[start...end])
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
