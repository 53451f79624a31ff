import ConfluentSimulator
import Testing

@Suite("JSON values")
struct JSONTests {
    @Test func serialisationRoundTripsEscapesAndNumbers() throws {
        let value: JSON = [
            "plain": "lkc-origin", "quote": "say \"hi\"", "slash": "a\\b", "control": "line\nbreak\ttab\u{1}",
            "unicode": "héllo ✓ 𝄞", "int": 9_007_199_254_740_993, "negative": -1, "double": 1.5, "null": nil,
            "bool": true, "array": [1, "two", [3]], "empty": [:],
        ]
        let text = value.text
        #expect(text.contains(#""quote":"say \"hi\"""#))
        #expect(text.contains(#""control":"line\nbreak\ttab\u0001""#))
        let parsed = try #require(JSON.parse(value.serialized()))
        #expect(parsed == value)
        #expect(JSON.parse(Array(#"{"a":"\u00e9\ud834\udd1e"}"#.utf8))?["a"] == "é𝄞")
        #expect(JSON.parse(Array("{\"a\":}".utf8)) == Optional<JSON>.none)
        #expect(JSON.parse(Array("[1,2] x".utf8)) == Optional<JSON>.none)
    }
}
