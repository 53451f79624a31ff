import Foundation

/// A parsed JSON value, used both for HTTP bodies and for the OpenAPI documents themselves.
///
/// Own enum rather than `Any` from JSONSerialization because the validator must tell `true` from `1`
/// and `1` from `1.5` reliably on Linux, and because it has to be `Sendable` to sit in a process-wide cache.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// An integral literal that fits in 64 bits (`12`, `-3`).
    case integer(Int64)
    /// Any other number (`1.5`, `1e3`, integers beyond Int64).
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a JSON text (UTF-8). Throws `OpenAPIContractError` with code `.invalidJSON` on malformed input.
    public init(parsing bytes: some Collection<UInt8>) throws(OpenAPIContractError) {
        var parser = JSONTextParser(bytes: Array(bytes))
        self = try parser.parseDocument()
    }

    /// Parses a JSON text given as a string.
    public init(parsing text: String) throws(OpenAPIContractError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Converts the output of `JSONSerialization` (or plain Swift dictionaries/arrays/scalars).
    public init(jsonObject: Any) throws(OpenAPIContractError) {
        self = try JSONValue.convert(jsonObject, path: "")
    }

    /// The member of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element of an array, or nil.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The numeric value as a Double, for integers and doubles alike.
    public var numberValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }

    /// JSON's own name for the kind of value, as used in violation messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Equality as JSON means it: `1` equals `1.0`.
    public func jsonEquals(_ other: JSONValue) -> Bool {
        switch (self, other) {
        case (.integer, .double), (.double, .integer):
            return numberValue == other.numberValue
        case (.array(let lhs), .array(let rhs)):
            return lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.jsonEquals($1) }
        case (.object(let lhs), .object(let rhs)):
            return lhs.count == rhs.count
                && lhs.allSatisfy { key, value in rhs[key].map { value.jsonEquals($0) } ?? false }
        default:
            return self == other
        }
    }

    private static func convert(_ value: Any, path: String) throws(OpenAPIContractError) -> JSONValue {
        // Exact type checks first: `as? Bool` would happily bridge an NSNumber 1 to `true`.
        switch value {
        case is NSNull: return .null
        case let value as JSONValue: return value
        case let value as String: return .string(value)
        default: break
        }
        if type(of: value) == Bool.self, let flag = value as? Bool { return .bool(flag) }
        if let number = value as? NSNumber, type(of: value) is NSNumber.Type {
            return convert(number)
        }
        switch value {
        case let value as Int: return .integer(Int64(value))
        case let value as Int64: return .integer(value)
        case let value as Int32: return .integer(Int64(value))
        case let value as UInt32: return .integer(Int64(value))
        case let value as Double: return .double(value)
        case let value as [Any]:
            var items: [JSONValue] = []
            items.reserveCapacity(value.count)
            for (index, item) in value.enumerated() {
                items.append(try convert(item, path: "\(path)/\(index)"))
            }
            return .array(items)
        case let value as [String: Any]:
            var members: [String: JSONValue] = [:]
            for (key, item) in value {
                members[key] = try convert(item, path: "\(path)/\(JSONPointer.escape(key))")
            }
            return .object(members)
        default:
            if let optional = value as? any OptionalProtocol, optional.isNone { return .null }
            throw OpenAPIContractError(
                code: .invalidJSON,
                message: "value of type \(type(of: value)) at '\(path)' is not representable as JSON")
        }
    }

    private static func convert(_ number: NSNumber) -> JSONValue {
        let objCType = String(cString: number.objCType)
        switch objCType {
        case "c", "B": return .bool(number.boolValue)
        case "f", "d": return .double(number.doubleValue)
        case "Q", "L":
            return number.uint64Value > UInt64(Int64.max)
                ? .double(number.doubleValue) : .integer(number.int64Value)
        default: return .integer(number.int64Value)
        }
    }
}

private protocol OptionalProtocol {
    var isNone: Bool { get }
}

extension Optional: OptionalProtocol {
    fileprivate var isNone: Bool { self == nil }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text with sorted keys.
    public var description: String {
        var out = ""
        render(into: &out)
        return out
    }

    private func render(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .integer(let value): out += String(value)
        case .double(let value): out += value.isFinite ? "\(value)" : "null"
        case .string(let value): JSONValue.renderString(value, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                item.render(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                JSONValue.renderString(key, into: &out)
                out += ":"
                members[key]!.render(into: &out)
            }
            out += "}"
        }
    }

    private static func renderString(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// UTF-8 encoded JSON text, handy for feeding request bodies to an HTTP client under test.
    public var jsonBytes: [UInt8] { Array(description.utf8) }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
