import Testing

@Test func placeholderWorkflowTests() { #expect(Bool(true)) }
