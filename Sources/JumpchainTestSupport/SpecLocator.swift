import Foundation

/// Finds the vendored OpenAPI documents (`shared/specs`) so contract tests can load them at test time.
///
/// The specs live outside the repository, so tests must cope with their absence: check
/// `SpecLocator.current.directory` and skip with `SpecLocator.current.reason` when it is nil.
public enum SpecLocator {
    /// The environment variable that overrides the search; it names the `specs` directory itself.
    public static let environmentVariable = "JUMPCHAIN_SPECS"

    /// The lookup for this process (environment, current directory and this source file), done once.
    public static let current: SpecLocation = locate()

    /// Looks for the specs (nil arguments mean this process's environment and current directory):
    /// `$JUMPCHAIN_SPECS` if set, else a `shared/specs` directory next to (or inside)
    /// any ancestor of the current directory, then of `sourceFile`'s directory.
    public static func locate(
        environment: [String: String]? = nil,
        currentDirectory: String? = nil,
        sourceFile: String = #filePath
    ) -> SpecLocation {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let currentDirectory = currentDirectory ?? FileManager.default.currentDirectoryPath
        if let override = environment[environmentVariable], !override.isEmpty {
            if isSpecsDirectory(override) {
                return SpecLocation(directory: override, reason: "found via \(environmentVariable)=\(override)")
            }
            return SpecLocation(
                directory: nil,
                reason: "\(environmentVariable)=\(override) has no confluent-cloud/ folder; point it at shared/specs")
        }
        let starts = [currentDirectory, (sourceFile as NSString).deletingLastPathComponent]
        var searched: [String] = []
        for start in starts where !start.isEmpty {
            var directory = URL(fileURLWithPath: start).standardizedFileURL.path
            while true {
                let candidate = (directory as NSString).appendingPathComponent("shared/specs")
                if !searched.contains(candidate) {
                    searched.append(candidate)
                    if isSpecsDirectory(candidate) {
                        return SpecLocation(directory: candidate, reason: "found at \(candidate)")
                    }
                }
                let parent = (directory as NSString).deletingLastPathComponent
                if parent == directory || parent.isEmpty { break }
                directory = parent
            }
        }
        return SpecLocation(
            directory: nil,
            reason: "OpenAPI specs not found: \(environmentVariable) is unset and no shared/specs/confluent-cloud "
                + "exists beside any ancestor of \(starts.joined(separator: " or ")); "
                + "set \(environmentVariable) to the shared/specs directory")
    }

    private static func isSpecsDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        let cloud = (path as NSString).appendingPathComponent("confluent-cloud")
        return FileManager.default.fileExists(atPath: cloud, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

/// The outcome of a spec search: the directory, or why there is none (printable as a skip reason).
public struct SpecLocation: Sendable, CustomStringConvertible {
    /// The `specs` directory (holding `confluent-cloud/`), or nil when not found.
    public var directory: String?
    /// Where the specs were found, or why not and what to set.
    public var reason: String

    public init(directory: String?, reason: String) {
        self.directory = directory
        self.reason = reason
    }

    public var isFound: Bool { directory != nil }

    /// The five Confluent Cloud documents jumpchain talks to.
    public static let confluentCloudSpecNames = [
        "kafkarest-v3.openapi.yaml", "apikeys-v2.openapi.yaml", "iam-v2.openapi.yaml",
        "networking-v1.openapi.yaml", "cmk-v2.openapi.yaml",
    ]

    /// Full paths of the five Confluent Cloud documents, or nil when the specs were not found.
    public var confluentCloudSpecFiles: [String]? {
        guard let directory else { return nil }
        let cloud = (directory as NSString).appendingPathComponent("confluent-cloud")
        return Self.confluentCloudSpecNames.map { (cloud as NSString).appendingPathComponent($0) }
    }

    /// Prints `skipped: <reason>` when the specs are missing and returns whether they were found;
    /// made for `.enabled { SpecLocator.current.enabledOrPrintSkip(test: "...") }` traits.
    public func enabledOrPrintSkip(test: String = "") -> Bool {
        if directory == nil {
            print("skipped\(test.isEmpty ? "" : " \(test)"): \(reason)")
        }
        return directory != nil
    }

    public var description: String { reason }
}
