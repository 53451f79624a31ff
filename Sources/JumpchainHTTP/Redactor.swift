import Foundation

/// Masks secret material in anything that may be printed: headers, bodies, error texts.
///
/// Two mechanisms, because neither alone is enough: *shape* rules mask values that look secret whatever
/// they are (an `Authorization` header, a JAAS `password="…"`, a JSON `"secret"` field, the value of a
/// `sasl.jaas.config` config entry), and *known-value* scrubbing removes exact secrets the caller holds
/// (and the base64 of `key:secret`) wherever they appear.
public enum Redactor {
    public static let mask = "<redacted>"

    /// Header names whose values are always masked.
    static let sensitiveHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

    /// Config names whose values are secret (Kafka link and client configs).
    public static func isSensitiveConfigName(_ name: String) -> Bool {
        let lowered = name.lowercased()
        if lowered.hasSuffix("sasl.jaas.config") { return true }
        if lowered.contains("password") || lowered.contains("secret") { return true }
        let sslKeyMaterial = ["ssl.keystore.key", "ssl.keystore.certificate.chain", "ssl.truststore.certificates"]
        return sslKeyMaterial.contains { lowered.hasSuffix($0) }
    }

    public static func redact(headers: HTTPHeaders) -> HTTPHeaders {
        var result = HTTPHeaders()
        for field in headers {
            let value = sensitiveHeaders.contains(field.name.lowercased()) ? mask : redact(text: field.value)
            result.add(name: field.name, value: value)
        }
        return result
    }

    /// Masks secret-shaped values in free text or JSON, then scrubs the given known secrets.
    public static func redact(text: String, secrets: [Secret] = [], credentials: [APICredential] = []) -> String {
        var output = maskShapes(in: text)
        var needles: [String] = []
        for secret in secrets + credentials.map(\.secret) where secret.byteCount >= 4 {
            secret.withUTF8String { needles.append($0) }
        }
        for credential in credentials where credential.secret.byteCount > 0 {
            credential.secret.withUTF8String { secretText in
                let pair = Array("\(credential.key):\(secretText)".utf8)
                needles.append(Base64.encode(pair))
            }
        }
        for needle in needles where !needle.isEmpty {
            output = output.replacingAll(needle, with: mask)
        }
        return output
    }

    /// Shape rules: JAAS passwords, JSON secret-ish fields, and the values of sensitive config entries.
    static func maskShapes(in text: String) -> String {
        var output = text
        // password="…" (JAAS) and password=… up to a separator.
        output = maskAfter(key: "password=\"", terminator: "\"", in: output)
        output = maskAfter(key: "password=\\\"", terminator: "\\\"", in: output)
        // JSON fields: "secret": "…", "password": "…"
        for field in ["\"secret\"", "\"password\"", "\"api_secret\"", "\"client_secret\""] {
            output = maskJSONStringValue(after: field, in: output)
        }
        // {"name":"sasl.jaas.config","value":"…"} — the value that follows a sensitive config name.
        for name in ["sasl.jaas.config\"", "ssl.key.password\"", "ssl.keystore.key\""] {
            output = maskJSONStringValue(after: name, in: output, viaField: "\"value\"")
        }
        // Basic credentials written out by hand.
        output = maskAfter(key: "Basic ", terminator: nil, in: output)
        return output
    }

    private static func maskAfter(key: String, terminator: String?, in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: key) {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            if let terminator, let end = rest.range(of: terminator) {
                result += mask
                rest = rest[end.lowerBound...]
            } else {
                // Up to whitespace, quote or end.
                let end = rest.firstIndex { $0 == " " || $0 == "\"" || $0 == "," || $0 == "\n" || $0 == ";" }
                result += mask
                rest = end.map { rest[$0...] } ?? ""
            }
        }
        return result + rest
    }

    /// After `field` (optionally after a second field name such as `"value"`), masks the next JSON string.
    private static func maskJSONStringValue(after field: String, in text: String, viaField: String? = nil) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: field) {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            var cursor = rest.startIndex
            if let viaField {
                guard let via = rest.range(of: viaField), rest.distance(from: rest.startIndex, to: via.lowerBound) < 40
                else { continue }
                cursor = via.upperBound
            }
            // Skip whitespace and a colon, then expect a quote.
            while cursor < rest.endIndex, rest[cursor] == " " || rest[cursor] == ":" {
                cursor = rest.index(after: cursor)
            }
            guard cursor < rest.endIndex, rest[cursor] == "\"" else { continue }
            let valueStart = rest.index(after: cursor)
            var end = valueStart
            var escaped = false
            while end < rest.endIndex {
                let character = rest[end]
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    break
                }
                end = rest.index(after: end)
            }
            result += rest[rest.startIndex..<valueStart]
            result += mask
            rest = rest[end...]
        }
        return result + rest
    }
}

extension String {
    func replacingAll(_ needle: String, with replacement: String) -> String {
        guard !needle.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: needle) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

/// Standard base64, for scrubbing `key:secret` pairs without importing Foundation here.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 2 < bytes.count {
            let n = (UInt32(bytes[index]) << 16) | (UInt32(bytes[index + 1]) << 8) | UInt32(bytes[index + 2])
            out += [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)],
                alphabet[Int(n & 63)],
            ]
            index += 3
        }
        let remaining = bytes.count - index
        if remaining == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if remaining == 2 {
            let n = (UInt32(bytes[index]) << 16) | (UInt32(bytes[index + 1]) << 8)
            out += [
                alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "="),
            ]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
