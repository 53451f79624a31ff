import Foundation
import Yams

extension SimulatorConfig {
    /// Decodes a config from YAML text (see docs/simulator.md for the format).
    public static func load(yaml: String) throws -> SimulatorConfig {
        do {
            return try YAMLDecoder().decode(SimulatorConfig.self, from: yaml)
        } catch {
            throw SimulatorError(.invalidConfig, "the simulator config is not valid YAML for this format", cause: error)
        }
    }

    /// Reads and decodes the YAML file at `path`.
    public static func load(path: String) throws -> SimulatorConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SimulatorError(.io, "could not read simulator config \(path)")
        }
        do {
            return try load(yaml: String(decoding: data, as: UTF8.self))
        } catch let error as SimulatorError {
            throw SimulatorError(error.code, "\(path): \(error.message)", cause: error.cause)
        }
    }

    /// Names of the built-in scenarios.
    public static let scenarioNames = ["jump-demo"]

    /// A built-in world by name: `jump-demo` (see ``jumpDemo()``).
    public static func scenario(named name: String) throws -> SimulatorConfig {
        switch name {
        case "jump-demo": return jumpDemo()
        default:
            throw SimulatorError(
                .unknownScenario,
                "unknown scenario '\(name)'; known: \(scenarioNames.joined(separator: ", "))")
        }
    }
}
