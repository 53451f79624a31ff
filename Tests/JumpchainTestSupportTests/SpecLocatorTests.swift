import Foundation
import JumpchainTestSupport
import Testing

@Suite struct SpecLocatorTests {
    /// A throwaway tree `<root>/shared/specs/confluent-cloud` plus `<root>/repo/Sources/X`.
    private func makeTree() throws -> (root: String, specs: String, nested: String) {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("speclocator-\(UUID().uuidString)").path
        let specs = root + "/shared/specs"
        let nested = root + "/repo/Sources/X"
        try FileManager.default.createDirectory(atPath: specs + "/confluent-cloud", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        return (root, specs, nested)
    }

    @Test func environmentVariableWins() throws {
        let tree = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree.root) }
        let location = SpecLocator.locate(
            environment: ["JUMPCHAIN_SPECS": tree.specs], currentDirectory: "/", sourceFile: "/nowhere/File.swift")
        #expect(location.directory == tree.specs)
        #expect(location.confluentCloudSpecFiles?.count == 5)
    }

    @Test func badEnvironmentVariableIsReportedNotIgnored() throws {
        let tree = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree.root) }
        let location = SpecLocator.locate(
            environment: ["JUMPCHAIN_SPECS": tree.root], currentDirectory: tree.nested, sourceFile: "/x/F.swift")
        #expect(location.directory == nil)
        #expect(location.reason.contains("JUMPCHAIN_SPECS"))
        #expect(location.reason.contains(tree.root))
    }

    @Test func walksUpFromCurrentDirectory() throws {
        let tree = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree.root) }
        let location = SpecLocator.locate(environment: [:], currentDirectory: tree.nested, sourceFile: "")
        #expect(location.directory == tree.specs)
    }

    @Test func walksUpFromSourceFileWhenCurrentDirectoryHasNone() throws {
        let tree = try makeTree()
        defer { try? FileManager.default.removeItem(atPath: tree.root) }
        let location = SpecLocator.locate(
            environment: [:], currentDirectory: "/proc", sourceFile: tree.nested + "/Thing.swift")
        #expect(location.directory == tree.specs)
    }

    @Test func notFoundExplainsWhatToSet() {
        let location = SpecLocator.locate(environment: [:], currentDirectory: "/proc", sourceFile: "/proc/x.swift")
        #expect(location.directory == nil)
        #expect(!location.isFound)
        #expect(location.reason.contains("JUMPCHAIN_SPECS"))
        #expect(location.confluentCloudSpecFiles == nil)
        #expect(throws: OpenAPIContractError.self) { try OpenAPIContract.confluentCloud(location: location) }
    }
}
