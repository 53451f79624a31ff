import Foundation
import Yams

/// One parsed OpenAPI document and its operations, immutable and shared through `OpenAPIDocumentCache`.
final class OpenAPIDocument: Sendable {
    let source: String
    let root: JSONValue
    let operations: [OpenAPIContract.Operation]
    /// Wall-clock time spent reading and parsing the file.
    let loadDuration: Duration

    private static let methods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    init(source: String, root: JSONValue, loadDuration: Duration) throws(OpenAPIContractError) {
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
        let root = try path.hasSuffix(".json") ? JSONValue(parsing: text) : parseYAML(text, source: path)
        return try OpenAPIDocument(source: path, root: root, loadDuration: clock.now - start)
    }

    /// Parses YAML into `JSONValue` through Yams' node tree (cheaper than `Yams.load`'s `Any`).
    static func parseYAML(_ text: String, source: String) throws(OpenAPIContractError) -> JSONValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw OpenAPIContractError(code: .specInvalid, message: "\(source) is not valid YAML", cause: error)
        }
        guard let node else {
            throw OpenAPIContractError(code: .specInvalid, message: "\(source) is empty")
        }
        return convert(node)
    }

    private static func convert(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            // The resolved tag tells `200` (int) from `"200"` (quoted, so str).
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return node.bool.map(JSONValue.bool) ?? .string(scalar.string)
            case .int:
                if let value = node.int { return .integer(Int64(value)) }
                return .string(scalar.string)
            case .float: return node.float.map(JSONValue.double) ?? .string(scalar.string)
            default: return .string(scalar.string)
            }
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(mapping.count)
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
}

/// Process-wide cache: each spec file is parsed once per test process, however many suites ask for it.
enum OpenAPIDocumentCache {
    private final class Entry: @unchecked Sendable {
        // Guarded by `lock`; the lock is held while parsing so concurrent first users wait instead of re-parsing.
        let lock = NSLock()
        var document: OpenAPIDocument?
    }

    private final class Table: @unchecked Sendable {
        let lock = NSLock()
        var entries: [String: Entry] = [:]  // guarded by `lock`
    }

    private static let table = Table()

    static func document(at path: String) throws(OpenAPIContractError) -> OpenAPIDocument {
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        table.lock.lock()
        let entry: Entry
        if let existing = table.entries[key] {
            entry = existing
        } else {
            entry = Entry()
            table.entries[key] = entry
        }
        table.lock.unlock()

        entry.lock.lock()
        defer { entry.lock.unlock() }
        if let document = entry.document { return document }
        let document = try OpenAPIDocument.load(path: key)
        entry.document = document
        return document
    }
}
