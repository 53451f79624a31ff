import Testing

@Test func placeholderJumpchainHTTPTests() { #expect(Bool(true)) }
