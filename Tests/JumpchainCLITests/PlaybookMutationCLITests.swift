import Foundation
import JumpchainTestSupport
import Testing

extension BinaryTests {
    /// A few seeded mutations of `playbooks/demo.yaml` through `jumpchain plan`: exit 0 (the edit was
    /// harmless) or exit 2 with a `file:line:column` diagnostic, never a crash. The library-level property
    /// test (`PlaybookMutationTests`) covers many more mutations.
    @Suite("mutated playbooks through the binary")
    struct PlaybookMutationCLITests {
        @Test func mutatedDemoPlaybooksExitTwoWithLocatedDiagnostics() async throws {
            let seed = SeededGenerator.seed(environment: ProcessInfo.processInfo.environment)
            print("PlaybookMutationCLITests seed \(seed) (replay: JUMPCHAIN_TEST_SEED=\(seed))")
            var generator = SeededGenerator(seed: seed)
            let world = try await DemoWorld.start()
            defer { Task { await world.stop() } }
            let original = try String(contentsOfFile: world.demoPlaybook, encoding: .utf8)
            var refused = 0
            for round in 0..<8 {
                let (text, mutation) = PlaybookMutator.mutate(original, using: &generator)
                let path = world.workDirectory + "/mutated-\(round).yaml"
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                let result = try await world.jumpchain(["plan", path])
                let context = "seed \(seed), round \(round): \(mutation)"
                #expect([0, 2].contains(result.status), "\(context): exit \(result.status)\n\(result.output)")
                if result.status == 2 {
                    refused += 1
                    let located = result.stderr.range(
                        of: #"mutated-\#(round)\.yaml:\d+:\d+"#, options: .regularExpression)
                    #expect(located != nil, "\(context): no file:line:column in\n\(result.stderr)")
                }
            }
            print("PlaybookMutationCLITests: \(refused) of 8 mutations refused with exit 2")
        }
    }
}
