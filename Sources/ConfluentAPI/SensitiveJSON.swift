import Foundation
public import JumpchainHTTP
import JumpchainJSON

/// Builds a JSON request body straight into bytes, so that secret values (a JAAS config) are copied from
/// one wipeable buffer into another and never become a Swift `String`.
struct SensitiveJSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ text: String) { append(Array(text.utf8)) }

    mutating func string(_ text: String) { quoted(Array(text.utf8)) }

    /// Escapes straight from the secret's own buffer: no intermediate copy is left behind unwiped.
    mutating func secret(_ secret: Secret) {
        secret.withBytes { quoted($0) }
    }

    private mutating func quoted(_ value: some Collection<UInt8>) {
        // Worst case every byte becomes `\u00XX`; reserving first means no regrowth mid-value.
        reserve(value.count * 6 + 2)
        bytes.append(UInt8(ascii: "\""))
        for byte in value {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func append(_ raw: [UInt8]) {
        reserve(raw.count)
        bytes += raw
    }

    /// Grows the buffer by hand so that the old one (which may hold secret bytes) is zeroed, not just freed:
    /// an implicit `Array` regrowth would leave a stale copy on the heap.
    private mutating func reserve(_ extra: Int) {
        guard bytes.count + extra > bytes.capacity else { return }
        var grown: [UInt8] = []
        grown.reserveCapacity(max(bytes.capacity * 2, bytes.count + extra, 256))
        grown += bytes
        bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        bytes = grown
    }

    /// Moves the bytes into a ``Secret`` and zeroes this writer's buffer.
    mutating func finishSensitive() -> Secret {
        let secret = Secret(bytes: bytes)
        bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        bytes = []
        return secret
    }
}

/// A link config value: plain, or secret (credentials) that must only travel in a wiped buffer.
public enum LinkConfigValue: Sendable, CustomStringConvertible {
    case plain(String)
    case secret(Secret)

    public var description: String {
        switch self {
        case .plain(let value): return value
        case .secret: return Redactor.mask
        }
    }
}

/// One `{name, value}` entry of a link's configuration.
public struct LinkConfigEntry: Sendable, CustomStringConvertible {
    public var name: String
    public var value: LinkConfigValue

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = .plain(value)
    }

    public init(_ name: String, secret: Secret) {
        self.name = name
        self.value = .secret(secret)
    }

    public var description: String { "\(name)=\(value)" }
}

/// SASL/PLAIN JAAS configuration for an API key, the form Confluent links take credentials in.
public enum JAASConfig {
    /// `org.apache.kafka.common.security.plain.PlainLoginModule required username="KEY" password="SECRET";`
    /// built byte by byte into a ``Secret``.
    /// Quotes and backslashes in the key or secret are escaped as Kafka's JAAS parser expects (`\"`, `\\`).
    public static func plain(_ credential: APICredential) -> Secret {
        let prefix = Array("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"".utf8)
        let key = Array(credential.key.utf8)
        var bytes: [UInt8] = []
        // Reserved up front so the buffer never regrows (which would leave an unwiped copy of the secret).
        bytes.reserveCapacity(prefix.count + 2 * key.count + 2 * credential.secret.byteCount + 16)
        bytes += prefix
        appendEscaped(key, to: &bytes)
        bytes += Array("\" password=\"".utf8)
        credential.secret.withBytes { appendEscaped($0, to: &bytes) }
        bytes += Array("\";".utf8)
        let secret = Secret(bytes: bytes)
        bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return secret
    }

    private static func appendEscaped(_ value: some Collection<UInt8>, to bytes: inout [UInt8]) {
        for byte in value {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
        }
    }

    /// The password inside a JAAS config (`password="…"`, unescaped), so that errors can scrub an echo of it.
    static func password(in jaas: Secret) -> Secret? {
        jaas.withBytes { buffer -> Secret? in
            let needle = Array("password=\"".utf8)
            guard buffer.count >= needle.count else { return nil }
            var start: Int?
            for index in 0...(buffer.count - needle.count)
            where buffer[index..<index + needle.count].elementsEqual(needle) {
                start = index + needle.count
                break
            }
            guard var cursor = start else { return nil }
            var value: [UInt8] = []
            value.reserveCapacity(buffer.count - cursor)
            while cursor < buffer.count, buffer[cursor] != UInt8(ascii: "\"") {
                if buffer[cursor] == UInt8(ascii: "\\"), cursor + 1 < buffer.count { cursor += 1 }
                value.append(buffer[cursor])
                cursor += 1
            }
            defer { value.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            return value.isEmpty ? nil : Secret(bytes: value)
        }
    }

    /// What an error message might echo of these config values: each secret itself and its JAAS password.
    static func scrubList(_ entries: [LinkConfigEntry]) -> [Secret] {
        entries.flatMap { entry -> [Secret] in
            guard case .secret(let secret) = entry.value else { return [] }
            return [secret] + (password(in: secret).map { [$0] } ?? [])
        }
    }

    /// The key id named in a JAAS config (`username="…"`), which is public.
    public static func username(in jaas: String) -> String? {
        guard let start = jaas.range(of: "username=\"") else { return nil }
        let rest = jaas[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
