import Foundation
import JumpchainCore
import JumpchainTestSupport
import Testing

/// Seeded mutations of the shipped playbooks (deletions, duplications, type swaps, unicode, deep nesting,
/// truncation): each loads or fails with located diagnostics, never a crash. Replay a failure with
/// `JUMPCHAIN_TEST_SEED=<printed seed>`.
@Suite("Mutated playbooks")
struct PlaybookMutationTests {
    static let shipped = ["demo.yaml", "migrate-aws-privatelink-to-azure.yaml", "dr-gcp-psc-to-aws-tgw.yaml"]
    static let mutationsPerPlaybook = 150

    @Test func mutatedShippedPlaybooksFailWithLocatedDiagnostics() throws {
        let seed = SeededGenerator.seed(environment: ProcessInfo.processInfo.environment)
        print("PlaybookMutationTests seed \(seed) (replay: JUMPCHAIN_TEST_SEED=\(seed))")
        var generator = SeededGenerator(seed: seed)
        var refused = 0
        for name in Self.shipped {
            let original = try String(contentsOfFile: PlaybookShippedTests.directory + "/" + name, encoding: .utf8)
            for round in 0..<Self.mutationsPerPlaybook {
                let (text, mutation) = PlaybookMutator.mutate(original, using: &generator)
                let file = PlaybookShippedTests.directory + "/mutated-\(round)-" + name
                let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
                do {
                    _ = try PlaybookLoader.load(
                        text: text, file: file, environment: PlaybookShippedTests.demoEnvironment)
                } catch {
                    refused += 1
                    let context = "seed \(seed), \(name) round \(round): \(mutation)"
                    #expect(!error.diagnostics.isEmpty, "\(context): no diagnostic in \(error)")
                    for diagnostic in error.diagnostics {
                        #expect(diagnostic.location.file == file, "\(context): \(diagnostic)")
                        #expect((1...lineCount + 1).contains(diagnostic.location.line), "\(context): \(diagnostic)")
                        #expect(!diagnostic.message.isEmpty, "\(context)")
                    }
                }
            }
        }
        // Most mutations break something; a run where nothing was refused means the mutator went blind.
        #expect(refused > Self.mutationsPerPlaybook, "seed \(seed): only \(refused) mutations refused")
    }

    @Test func aTwelveMegabytePlaybookIsRefusedBeforeItIsParsed() throws {
        var text = "run_name: huge\ntopics:\n  names:\n"
        text.reserveCapacity(12 << 20)
        var index = 0
        while text.utf8.count < 12 << 20 {
            text += "    - topic-\(index)\n"
            index += 1
        }
        let path = NSTemporaryDirectory() + "jumpchain-huge-\(UUID().uuidString).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: PlaybookError.self) { _ = try PlaybookLoader.load(path: path, environment: [:]) }
        #expect(error?.code == .invalidPlaybook)
        #expect(error?.diagnostics.first?.location.line == 1)
        #expect(error?.diagnostics.first?.message.contains("the limit is 1048576 bytes") == true)
    }

    @Test func moreTopicNamesThanTheLimitAreOneLocatedError() throws {
        let original = try String(contentsOfFile: PlaybookShippedTests.directory + "/demo.yaml", encoding: .utf8)
        let names = (0...PlaybookLimits.maxTopicNames).map { "    - t\($0)" }.joined(separator: "\n")
        let text = original.replacingOccurrences(
            of: "  names: [orders, payments, inventory]", with: "  names:\n" + names)
        try #require(text != original, "demo.yaml no longer lists its topics on one line")
        let error = #expect(throws: PlaybookError.self) {
            _ = try PlaybookLoader.load(
                text: text, file: "many.yaml", environment: PlaybookShippedTests.demoEnvironment)
        }
        let messages = error?.diagnostics.map(\.message) ?? []
        #expect(messages.count == 1, "\(messages.prefix(3))")
        #expect(messages.first?.contains("lists 10001 topics; the limit is 10000") == true)
    }

    @Test func deepNestingIsRefusedBeforeTheComposerRecurses() {
        let deep = "run_name: x\ntopics: " + String(repeating: "[", count: 200_000) + "\n"
        let error = #expect(throws: PlaybookError.self) {
            _ = try PlaybookLoader.load(text: deep, file: "deep.yaml", environment: [:])
        }
        #expect(error?.diagnostics.first?.location.line == 2)
        #expect(error?.diagnostics.first?.message.contains("nested more than 64 levels") == true)
        let dashes = "topics:\n" + String(repeating: "- ", count: 200_000) + "x\n"
        #expect(throws: PlaybookError.self) {
            _ = try PlaybookLoader.load(text: dashes, file: "d.yaml", environment: [:])
        }
    }
}
