import Foundation
import JumpchainJSON
import Synchronization
import Yams

/// One parsed OpenAPI document and its operations, immutable and shared through `OpenAPIDocumentCache`.
final class OpenAPIDocument: Sendable {
    let source: String
    let root: JSON
    let operations: [OpenAPIContract.Operation]
    /// Wall-clock time spent reading and parsing the file.
    let loadDuration: Duration

    private static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    init(source: String, root: JSON, loadDuration: Duration) throws(OpenAPIContractError) {
        guard let version = root["openapi"]?.stringValue, version.hasPrefix("3.") else {
            throw OpenAPIContractError(
                code: .specInvalid, message: "\(source) is not an OpenAPI 3.x document (no 'openapi: 3.x' key)")
        }
        self.source = source
        self.root = root
        self.loadDuration = loadDuration
        var operations: [OpenAPIContract.Operation] = []
        for (template, item) in (root["paths"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let parsed = PathTemplate(template)
            for method in Self.methods {
                guard let definition = item[method], definition.objectValue != nil else { continue }
                operations.append(
                    OpenAPIContract.Operation(
                        method: method.uppercased(), template: parsed, definition: definition, source: source))
            }
        }
        self.operations = operations
    }

    /// Reads a `.yaml`/`.yml` (via Yams) or `.json` file.
    static func load(path: String) throws(OpenAPIContractError) -> OpenAPIDocument {
        let clock = ContinuousClock()
        let start = clock.now
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw OpenAPIContractError(
                code: exists ? .specUnreadable : .specNotFound,
                message: exists
                    ? "cannot read \(path) as UTF-8" : "\(path) does not exist; set JUMPCHAIN_SPECS to shared/specs",
                cause: error)
        }
        let root = try path.hasSuffix(".json") ? JSON(parsing: text) : parseYAML(text, source: path)
        return try OpenAPIDocument(source: path, root: root, loadDuration: clock.now - start)
    }

    /// Parses YAML into `JSON` through Yams' node tree (cheaper than `Yams.load`'s `Any`).
    static func parseYAML(_ text: String, source: String) throws(OpenAPIContractError) -> JSON {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, .basic)
        } catch {
            throw OpenAPIContractError(code: .specInvalid, message: "\(source) is not valid YAML", cause: error)
        }
        guard let node else {
            throw OpenAPIContractError(code: .specInvalid, message: "\(source) is empty")
        }
        return convert(node)
    }

    /// Scalars are composed untyped (`Resolver.basic`) and typed here by `coreSchemaValue`: Yams' default
    /// resolver runs several NSRegularExpressions per scalar, which about doubled the load time of the 930 KB spec.
    private static func convert(_ node: Node) -> JSON {
        switch node {
        case .scalar(let scalar):
            return scalar.style == .plain ? coreSchemaValue(scalar.string) : .string(scalar.string)
        case .mapping(let mapping):
            var members = JSONObject()
            for (key, value) in mapping {
                members[key.scalar?.string ?? key.string ?? ""] = convert(value)
            }
            return .object(members)
        case .sequence(let sequence):
            return .array(sequence.map(convert))
        case .alias:
            return .null
        }
    }

    /// YAML 1.2 core schema for a plain scalar: only `true`/`false` are booleans (YAML 1.1 would turn an
    /// enum value `ON`, `NO` or `Y` into a boolean), `~`/`null`/empty are null, then integers and floats.
    static func coreSchemaValue(_ text: String) -> JSON {
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case "", "~", "null", "Null", "NULL": return .null
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        guard let first = text.utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return .string(text) }
        if let value = Int64(text) { return .int(value) }
        if text.hasPrefix("0x"), let value = Int64(text.dropFirst(2), radix: 16) { return .int(value) }
        if text.hasPrefix("0o"), let value = Int64(text.dropFirst(2), radix: 8) { return .int(value) }
        let isFloatSyntax = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+")
        }
        if isFloatSyntax, text.contains(where: \.isNumber), let value = Double(text) { return .double(value) }
        return .string(text)
    }
}

/// Process-wide cache: each spec file is parsed once per test process, however many suites ask for it.
enum OpenAPIDocumentCache {
    /// One spec file; its lock is held while parsing so concurrent first users wait instead of re-parsing.
    private final class Entry: Sendable {
        let document = Mutex<OpenAPIDocument?>(nil)
    }

    private static let table = Mutex<[String: Entry]>([:])

    static func document(at path: String) throws(OpenAPIContractError) -> OpenAPIDocument {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        let entry = table.withLock { entries in
            if let existing = entries[key] { return existing }
            let entry = Entry()
            entries[key] = entry
            return entry
        }
        return try entry.document.withLock { cached throws(OpenAPIContractError) -> OpenAPIDocument in
            if let cached { return cached }
            let document = try OpenAPIDocument.load(path: key)
            cached = document
            return document
        }
    }
}
