import Foundation
import Yams

extension SimulatorConfig {
    /// Decodes a config from YAML text (see docs/simulator.md for the format).
    /// A key no field has (a misspelling would otherwise be ignored silently) is refused, with its line and path.
    public static func load(yaml: String, file: String = "<config>") throws -> SimulatorConfig {
        do {
            return try YAMLDecoder().decode(SimulatorConfig.self, from: yaml)
        } catch let error as DecodingError {
            throw SimulatorError(
                .invalidConfig, ConfigErrorLocation.describe(error, yaml: yaml, file: file), cause: error)
        } catch {
            throw SimulatorError(
                .invalidConfig, "\(file): the simulator config is not valid YAML for this format", cause: error)
        }
    }

    /// Reads and decodes the YAML file at `path`.
    public static func load(path: String) throws -> SimulatorConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulatorError(.io, "could not read simulator config \(path)")
        }
        return try load(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    /// Names of the built-in scenarios.
    public static let scenarioNames = ["jump-demo", "jump-demo-least-privilege"]

    /// A built-in world by name: `jump-demo` (see ``jumpDemo()``), `jump-demo-least-privilege` (see
    /// ``jumpDemoLeastPrivilege()``).
    public static func scenario(named name: String) throws -> SimulatorConfig {
        switch name {
        case "jump-demo": return jumpDemo()
        case "jump-demo-least-privilege": return jumpDemoLeastPrivilege()
        default:
            throw SimulatorError(
                .unknownScenario,
                "unknown scenario '\(name)'; known: \(scenarioNames.joined(separator: ", "))")
        }
    }
}

/// Any key, to see every key a mapping holds.
struct AnyConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// The keyed container of a config section that refuses keys `Keys` does not name (a typo is an error naming
    /// the key, not a silently ignored setting).
    func strictContainer<Keys: CodingKey>(_ keys: Keys.Type) throws -> KeyedDecodingContainer<Keys> {
        try rejectUnknownKeys(keys)
        return try container(keyedBy: keys)
    }

    /// Throws for a key that `Keys` does not name.
    func rejectUnknownKeys<Keys: CodingKey>(_ keys: Keys.Type) throws {
        guard let container = try? self.container(keyedBy: AnyConfigKey.self) else { return }
        for key in container.allKeys where Keys(stringValue: key.stringValue) == nil {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(
                    codingPath: codingPath + [key],
                    debugDescription: ConfigErrorLocation.unknownKeyMarker + key.stringValue))
        }
    }
}

/// Turns a decoding error into `file:line:column: what` by finding its coding path in the YAML.
enum ConfigErrorLocation {
    static let unknownKeyMarker = "unknown key "

    static func describe(_ error: DecodingError, yaml: String, file: String) -> String {
        let (path, problem): ([any CodingKey], String)
        switch error {
        case .dataCorrupted(let context):
            if context.debugDescription.hasPrefix(unknownKeyMarker) {
                let key = String(context.debugDescription.dropFirst(unknownKeyMarker.count))
                let parent = render(context.codingPath.dropLast())
                (path, problem) = (
                    context.codingPath,
                    "unknown key `\(key)`\(parent.isEmpty ? " at the top level" : " in `\(parent)`"); the simulator "
                        + "config format is in docs/simulator.md (keys are camelCase, e.g. `serviceAccounts`)"
                )
            } else {
                (path, problem) = (context.codingPath, "`\(render(context.codingPath))`: \(context.debugDescription)")
            }
        case .keyNotFound(let key, let context):
            (path, problem) = (
                context.codingPath, "missing key `\(key.stringValue)` in `\(render(context.codingPath))`"
            )
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            (path, problem) = (context.codingPath, "`\(render(context.codingPath))`: \(context.debugDescription)")
        @unknown default:
            return "\(file): the simulator config is not valid for this format"
        }
        let mark = locate(path, yaml: yaml)
        return "\(file)\(mark.map { ":\($0.line):\($0.column)" } ?? ""): \(problem)"
    }

    static func render(_ path: some Collection<any CodingKey>) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    /// The position of the key (or item) `path` ends at.
    static func locate(_ path: [any CodingKey], yaml: String) -> Mark? {
        guard var node = try? Yams.compose(yaml: yaml) else { return nil }
        var mark = node.mark
        for key in path {
            if let index = key.intValue, let sequence = node.sequence {
                guard index < sequence.count else { return mark }
                node = sequence[index]
                mark = node.mark
            } else if let mapping = node.mapping,
                let pair = mapping.first(where: { $0.key.string == key.stringValue })
            {
                mark = pair.key.mark
                node = pair.value
            } else {
                return mark
            }
        }
        return mark
    }
}
