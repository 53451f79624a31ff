/// The one JSON value type of jumpchain: the client's by-hand bodies and error bodies, the simulator's answers and
/// parsed requests, and the test support's OpenAPI validator all use it.
///
/// Integers stay apart from doubles (a validator must tell `1` from `1.5`, and `true` from `1`), and an object keeps
/// its members in order (the simulator answers with exact field sets in a stable order). Equality is JSON's: `1`
/// equals `1.0`, and two objects are equal when they have the same members in any order.
public enum JSON: Sendable {
    case null
    case bool(Bool)
    /// An integral literal that fits in 64 bits (`12`, `-3`).
    case int(Int64)
    /// Any other number (`1.5`, `1e3`, integers beyond Int64).
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// The member named `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// The element of an array, or nil.
    public subscript(index: Int) -> JSON? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an integer: an `int`, or a `double` that is exactly integral (never traps on 1e300 or NaN).
    public var intValue: Int64? {
        switch self {
        case .int(let value): return value
        case .double(let value): return Int64(exactly: value)
        default: return nil
        }
    }

    /// The numeric value as a Double, for integers and doubles alike.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    public var arrayValue: [JSON]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// JSON's own name for the kind of value (`integer` for an `int`, `number` for a `double`).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// A string or `null`.
    public static func optional(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }

    /// An array of strings.
    public static func strings(_ values: [String]) -> JSON { .array(values.map { .string($0) }) }

    /// An object with these members in this order (a repeated key keeps its first place and its last value).
    public static func object(_ members: [(String, JSON)]) -> JSON { .object(JSONObject(members)) }

    /// An object with these members sorted by key (stable output from an unordered dictionary).
    public static func object(_ members: [String: JSON]) -> JSON { .object(JSONObject(members)) }

    /// An `int` from a platform integer.
    public static func int(_ value: Int) -> JSON { .int(Int64(value)) }
}

extension JSON: Equatable {
    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.int(let a), .double(let b)), (.double(let b), .int(let a)):
            return Double(a) == b && Int64(exactly: b) == a
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)): return a == b
        default: return false
        }
    }
}

extension JSON: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        // A number hashes by its integral value when it has one, so that `1` and `1.0` (equal) hash alike.
        case .int(let value): hasher.combine(value)
        case .double(let value):
            if let integral = Int64(exactly: value) { hasher.combine(integral) } else { hasher.combine(value) }
        case .string(let value): hasher.combine(value)
        case .array(let values): hasher.combine(values)
        case .object(let members): hasher.combine(members)
        }
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    /// Members in the literal's order; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSON)...) { self = .object(JSONObject(elements)) }
}
