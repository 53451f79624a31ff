import Foundation
public import JumpchainJSON

extension JSON {
    /// Parses a JSON text (UTF-8) for the contract checks. Throws `OpenAPIContractError` with code `.invalidJSON`.
    public init(parsing bytes: some Collection<UInt8>) throws(OpenAPIContractError) {
        do {
            self = try JSON.parse(bytes, maximumDepth: 512)
        } catch {
            throw OpenAPIContractError(code: .invalidJSON, message: error.description)
        }
    }

    /// Parses a JSON text given as a string.
    public init(parsing text: String) throws(OpenAPIContractError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Converts the output of `JSONSerialization` (or plain Swift dictionaries/arrays/scalars).
    public init(jsonObject: Any) throws(OpenAPIContractError) {
        self = try JSON.convert(jsonObject, path: "")
    }

    /// UTF-8 encoded JSON text, handy for feeding request bodies to an HTTP client under test.
    public var jsonBytes: [UInt8] { serialized() }

    private static func convert(_ value: Any, path: String) throws(OpenAPIContractError) -> JSON {
        // Exact type checks first: `as? Bool` would happily bridge an NSNumber 1 to `true`.
        switch value {
        case is NSNull: return .null
        case let value as JSON: return value
        case let value as String: return .string(value)
        default: break
        }
        if type(of: value) == Bool.self, let flag = value as? Bool { return .bool(flag) }
        if let number = value as? NSNumber, type(of: value) is NSNumber.Type {
            return convert(number)
        }
        switch value {
        case let value as Int: return .int(Int64(value))
        case let value as Int64: return .int(value)
        case let value as Int32: return .int(Int64(value))
        case let value as UInt32: return .int(Int64(value))
        case let value as Double: return .double(value)
        case let value as [Any]:
            var items: [JSON] = []
            items.reserveCapacity(value.count)
            for (index, item) in value.enumerated() {
                items.append(try convert(item, path: "\(path)/\(index)"))
            }
            return .array(items)
        case let value as [String: Any]:
            var members: [(String, JSON)] = []
            for (key, item) in value.sorted(by: { $0.key < $1.key }) {
                members.append((key, try convert(item, path: "\(path)/\(JSONPointer.escape(key))")))
            }
            return .object(JSONObject(members))
        default:
            if let optional = value as? any OptionalProtocol, optional.isNone { return .null }
            throw OpenAPIContractError(
                code: .invalidJSON,
                message: "value of type \(type(of: value)) at '\(path)' is not representable as JSON")
        }
    }

    private static func convert(_ number: NSNumber) -> JSON {
        let objCType = String(cString: number.objCType)
        switch objCType {
        case "c", "B": return .bool(number.boolValue)
        case "f", "d": return .double(number.doubleValue)
        case "Q", "L":
            return number.uint64Value > UInt64(Int64.max)
                ? .double(number.doubleValue) : .int(number.int64Value)
        default: return .int(number.int64Value)
        }
    }
}

private protocol OptionalProtocol {
    var isNone: Bool { get }
}

extension Optional: OptionalProtocol {
    fileprivate var isNone: Bool { self == nil }
}
