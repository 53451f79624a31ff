import Testing

@Test func placeholderJumpchainCoreTests() { #expect(Bool(true)) }
