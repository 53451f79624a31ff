import Foundation
import Testing

@testable import Workflow

@Suite struct PlanTests {
    @Test func duplicateIdIsNamed() {
        let error = #expect(throws: WorkflowError.self) {
            try Plan(steps: [StepSpec(id: "a", kind: "k"), StepSpec(id: "a", kind: "k")])
        }
        #expect(error?.code == .invalidPlan)
        #expect(error?.message.contains("duplicate step id 'a'") == true)
    }

    @Test func missingDependencyIsNamed() {
        let error = #expect(throws: WorkflowError.self) {
            try Plan(steps: [StepSpec(id: "a", kind: "k", dependsOn: ["ghost"])])
        }
        #expect(error?.code == .invalidPlan)
        #expect(error?.message == "step 'a' depends on 'ghost', which is not in the plan")
    }

    @Test func cycleIsNamedWithItsPath() {
        let error = #expect(throws: WorkflowError.self) {
            try Plan(steps: [
                StepSpec(id: "root", kind: "k"),
                StepSpec(id: "a", kind: "k", dependsOn: ["root", "c"]),
                StepSpec(id: "b", kind: "k", dependsOn: ["a"]),
                StepSpec(id: "c", kind: "k", dependsOn: ["b"]),
            ])
        }
        #expect(error?.code == .invalidPlan)
        #expect(error?.message == "dependency cycle: a -> b -> c -> a")
    }

    @Test func selfDependencyIsACycle() {
        let error = #expect(throws: WorkflowError.self) {
            try Plan(steps: [StepSpec(id: "a", kind: "k", dependsOn: ["a"])])
        }
        #expect(error?.message == "dependency cycle: a -> a")
    }

    @Test func topologicalOrderPutsDependenciesFirst() throws {
        let plan = try Plan(steps: [
            StepSpec(id: "d", kind: "k", dependsOn: ["b", "c"]),
            StepSpec(id: "b", kind: "k", dependsOn: ["a"]),
            StepSpec(id: "c", kind: "k", dependsOn: ["a"]),
            StepSpec(id: "a", kind: "k"),
        ])
        #expect(plan.topologicalOrder == ["a", "b", "c", "d"])
    }

    @Test func planRoundTripsThroughJSON() throws {
        let plan = try Plan(steps: [
            StepSpec(
                id: "a", kind: "k", parameters: ["x": "1"], resources: ["cluster:c"], timeoutSeconds: 2,
                requiresEphemeral: ["key"], retry: .noRetry),
            StepSpec(id: "b", kind: "k", dependsOn: ["a"]),
        ])
        let data = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(Plan.self, from: data) == plan)
    }
}
