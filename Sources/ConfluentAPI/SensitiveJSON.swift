import Foundation
public import JumpchainHTTP

/// Builds a JSON request body straight into bytes, so that secret values (a JAAS config) are copied from
/// one wipeable buffer into another and never become a Swift `String`.
struct SensitiveJSONWriter {
    private(set) var bytes: [UInt8] = []

    mutating func raw(_ text: String) { bytes += Array(text.utf8) }

    mutating func string(_ text: String) { quoted(Array(text.utf8)) }

    mutating func secret(_ secret: Secret) {
        secret.withBytes { quoted(Array($0)) }
    }

    private mutating func quoted(_ value: [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20: bytes += Array(String(format: "\\u%04x", Int(byte)).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
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
    public static func plain(_ credential: APICredential) -> Secret {
        var bytes = Array("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"".utf8)
        bytes += Array(credential.key.utf8)
        bytes += Array("\" password=\"".utf8)
        credential.secret.withBytes { bytes += Array($0) }
        bytes += Array("\";".utf8)
        let secret = Secret(bytes: bytes)
        bytes.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        return secret
    }

    /// The key id named in a JAAS config (`username="…"`), which is public.
    public static func username(in jaas: String) -> String? {
        guard let start = jaas.range(of: "username=\"") else { return nil }
        let rest = jaas[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}
