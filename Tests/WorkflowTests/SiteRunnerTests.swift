import Foundation
import Testing
import Workflow

/// Multi-site runs in the engine: a runner given a site runs only its steps, leaves another site's steps (even
/// ones recorded `running` or `failed` there) alone, and reports what it waits for; each site has its own lock.
@Suite struct SiteRunnerTests {
    static let steps = [
        StepSpec(id: "a1", kind: "k", site: "a"),
        StepSpec(id: "b1", kind: "k", dependsOn: ["a1"], site: "b"),
        StepSpec(id: "a2", kind: "k", dependsOn: ["a1"], site: "a"),
        StepSpec(id: "a3", kind: "k", dependsOn: ["b1"], site: "a"),
    ]

    func run(_ site: String?, in fixture: TestBackend, ran: Locked<[String]>) async throws -> RunOutcome {
        let store =
            try fixture.backend.runExists("r")
            ? try fixture.backend.openRun("r")
            : try fixture.backend.createRun("r", plan: try Plan(steps: Self.steps), manifest: "{}")
        let lease = try fixture.backend.lockRun("r", site: site, sites: ["a", "b"])
        defer { lease.release() }
        var configuration = RunnerConfiguration()
        configuration.site = site
        let runner = Runner(store: store, lock: lease, configuration: configuration)
        return try await runner.run(
            executor: ClosureExecutor { step, _ in
                ran.withLock { $0.append(step.id) }
                return [:]
            })
    }

    @Test(arguments: BackendKind.testable)
    func eachSiteRunsOnlyItsSteps(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "sites-\(kind)")
        defer { fixture.cleanUp() }
        let ran = Locked<[String]>([])
        let first = try await run("a", in: fixture, ran: ran)
        #expect(ran.current.sorted() == ["a1", "a2"])
        #expect(first.status == .running, "another site's turn is not a failure")
        #expect(first.awaiting.map(\.id) == ["b1"])
        #expect(first.failedSteps.isEmpty)
        let store = try fixture.backend.openRun("r")
        #expect(try store.metadata().status == .running)
        #expect(try store.events().contains { $0.message == "waiting for site b to run step b1" })

        // Site b's step recorded `running` (its runner is busy, or died): site a neither resets nor re-runs it.
        try store.commit([.started("b1", attempt: 1, at: Date())], events: [])
        let again = try await run("a", in: fixture, ran: ran)
        #expect(again.awaiting.map(\.id) == ["b1"])
        #expect(try store.stepStates()["b1"] == .running)
        #expect(again.interruptedOnStart.isEmpty)

        let second = try await run("b", in: fixture, ran: ran)
        #expect(second.interruptedOnStart == ["b1"], "site b re-runs its own interrupted step")
        #expect(second.awaiting.map(\.id) == ["a3"])
        let last = try await run("a", in: fixture, ran: ran)
        #expect(last.status == .succeeded)
        #expect(ran.current == ["a1", "a2", "b1", "a3"])
    }

    @Test(arguments: BackendKind.testable)
    func oneLockPerSite(_ kind: BackendKind) async throws {
        let fixture = try await TestBackend.make(kind, "site-locks-\(kind)")
        defer { fixture.cleanUp() }
        _ = try fixture.backend.createRun("r", plan: try Plan(steps: Self.steps), manifest: "{}")
        let a = try fixture.backend.lockRun("r", site: "a")
        // The other site runs beside it; a second runner of the same site is refused, told the site and holder.
        let b = try fixture.backend.lockRun("r", site: "b")
        let refused = #expect(throws: WorkflowError.self) { try fixture.backend.lockRun("r", site: "a") }
        #expect(refused?.code == .runLocked)
        #expect(refused?.message.contains("site") == true, "\(refused?.message ?? "")")
        #expect(refused?.message.contains("pid \(getpid())") == true, "\(refused?.message ?? "")")
        // A runner of every site (no --site) needs them all, and holds none when one is taken.
        let all = #expect(throws: WorkflowError.self) {
            try fixture.backend.lockRun("r", site: nil, sites: ["a", "b"])
        }
        #expect(all?.code == .runLocked)
        b.release()
        let c = #expect(throws: WorkflowError.self) { try fixture.backend.lockRun("r", site: nil, sites: ["b", "a"]) }
        #expect(c?.code == .runLocked)
        try fixture.backend.lockRun("r", site: "b").release()
        a.release()
        try fixture.backend.lockRun("r", site: nil, sites: ["a", "b"]).release()
    }
}
