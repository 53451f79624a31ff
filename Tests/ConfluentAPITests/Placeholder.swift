import Testing

@Test func placeholderConfluentAPITests() { #expect(Bool(true)) }
