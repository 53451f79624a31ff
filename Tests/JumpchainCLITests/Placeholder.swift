import Testing

@Test func placeholderJumpchainCLITests() { #expect(Bool(true)) }
