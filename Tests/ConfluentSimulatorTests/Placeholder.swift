import Testing

@Test func placeholderConfluentSimulatorTests() { #expect(Bool(true)) }
