import Foundation
import Testing

@testable import JumpchainCore

/// What `demo` (and anything else that clears a run directory) counts as a run's own files.
@Suite("a run directory's own files")
struct RunHistoryFilesTests {
    @Test("the documents kept beside a run are its own: listed as such, and removed with it")
    func runDocumentsAreTheRunsOwn() throws {
        let root = NSTemporaryDirectory() + "jumpchain-run-files-\(UUID().uuidString)"
        let operation = root + "/operations/001-update"
        try FileManager.default.createDirectory(atPath: operation, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let files =
            ["state.sqlite", "run.lock", "run.origin.lock"] + RunHistory.runDocuments
            + ["operations/001-update/state.sqlite", "operations/001-update/run.lock"]
        for file in files { try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/" + file)) }
        #expect(RunHistory.runDocuments.count == 3)
        #expect(RunHistory.foreignEntries(root).isEmpty)

        RunHistory.removeRunFiles(root)

        let left = FileManager.default.fileExists(atPath: root)
        #expect(!left, "left behind: \((try? FileManager.default.subpathsOfDirectory(atPath: root)) ?? [])")
    }

    @Test("anything else in a run directory is left alone")
    func foreignFilesStay() throws {
        let root = NSTemporaryDirectory() + "jumpchain-run-files-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        for file in ["state.sqlite", AwaitedUpdate.document, "notes.txt"] {
            try Data("{}".utf8).write(to: URL(fileURLWithPath: root + "/" + file))
        }
        #expect(RunHistory.foreignEntries(root) == ["notes.txt"])

        RunHistory.removeRunFiles(root)

        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["notes.txt"])
    }
}
