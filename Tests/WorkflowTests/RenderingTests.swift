import Foundation
import Testing

@testable import Workflow

@Suite struct RenderingTests {
    private let plan = try! Plan(steps: [
        StepSpec(id: "create-link", kind: "link"),
        StepSpec(id: "mirror \"orders\"", kind: "mirror", dependsOn: ["create-link"]),
    ])

    @Test func dotColoursStepsByState() {
        let dot = GraphExport.render(
            plan: plan, states: ["create-link": .succeeded, "mirror \"orders\"": .failed], format: .dot)
        #expect(dot.hasPrefix("digraph plan {"))
        #expect(dot.contains(##""create-link" [label="create-link\nlink · succeeded", fillcolor="#81c784"];"##))
        #expect(
            dot.contains(##""mirror \"orders\"" [label="mirror \"orders\"\nmirror · failed", fillcolor="#e57373"];"##))
        #expect(dot.contains(#""create-link" -> "mirror \"orders\"";"#))
    }

    @Test func mermaidColoursStepsByState() {
        let mermaid = GraphExport.render(plan: plan, states: ["create-link": .running], format: .mermaid)
        #expect(mermaid.hasPrefix("flowchart LR\n"))
        #expect(mermaid.contains(#"s1["mirror #quot;orders#quot;<br/>mirror · pending"]"#))
        #expect(mermaid.contains("s0 --> s1"))
        #expect(mermaid.contains("class s0 running"))
        #expect(mermaid.contains("class s1 pending"))
    }

    @Test func eventsRenderAsPlainAndJSONLines() throws {
        let event = WorkflowEvent(
            kind: .stepRetrying, stepID: "create-link", attempt: 2, message: "HTTP 503", retryDelaySeconds: 1.25,
            time: Date(timeIntervalSince1970: 3661))
        #expect(EventRenderer.plainLine(event) == "01:01:01 step create-link #2 retrying in 1.2s: HTTP 503")
        let json = EventRenderer.jsonLine(event)
        #expect(!json.contains("\n"))
        #expect(json.contains(#""kind":"stepRetrying""#))
        #expect(json.contains(#""time":"1970-01-01T01:01:01Z""#))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(WorkflowEvent.self, from: Data(json.utf8)) == event)
    }
}

@Suite struct LiveViewTests {
    @Test func redrawsTheStatusBlockInPlace() {
        let view = LiveView(totalSteps: 3)
        let first = view.render(WorkflowEvent(kind: .stepStarted, stepID: "a", attempt: 1))
        #expect(first == "0/3 done · 1 running · 0 failed\n  ▸ a  running\n")
        let second = view.render(WorkflowEvent(kind: .stepWaiting, stepID: "a", message: "topic ACTIVE"))
        #expect(second.hasPrefix("\u{1B}[2A\u{1B}[J"))
        #expect(second.contains("  ▸ a  waiting: topic ACTIVE\n"))
        let third = view.render(WorkflowEvent(kind: .stepSucceeded, stepID: "a"))
        #expect(third.hasSuffix("1/3 done · 0 running · 0 failed\n"))
    }
}
