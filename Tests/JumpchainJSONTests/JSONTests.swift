import JumpchainJSON
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
        let parsed = try JSON.parse(value.serialized())
        #expect(parsed == value)
        #expect(try JSON.parse(#"{"a":"\u00e9\ud834\udd1e"}"#)["a"] == "é𝄞")
        #expect(throws: JSONParseError.self) { try JSON.parse("{\"a\":}") }
        #expect(throws: JSONParseError.self) { try JSON.parse("[1,2] x") }
    }

    @Test func objectsKeepMemberOrderAndCompareAsJSON() throws {
        let parsed = try JSON.parse(#"{"z":1,"a":2,"m":{"y":1.0,"x":[true]}}"#)
        #expect(parsed.objectValue?.keys == ["z", "a", "m"])
        #expect(parsed.text == #"{"z":1,"a":2,"m":{"y":1.0,"x":[true]}}"#)
        // Equality is JSON's: member order does not matter, 1 equals 1.0, and equal values hash alike.
        let reordered: JSON = ["m": ["x": [true], "y": 1], "a": 2, "z": 1]
        #expect(parsed == reordered)
        #expect(Set([parsed, reordered]).count == 1)
        #expect(JSON.int(1) == JSON.double(1.0))
        #expect(JSON.int(1) != JSON.double(1.5))
        #expect(JSON.bool(true) != JSON.int(1))
        #expect(JSON.object(["b": 1, "a": 2] as [String: JSON]).text == #"{"a":2,"b":1}"#)
    }

    @Test func repeatedKeysKeepFirstPlaceAndLastValue() throws {
        let parsed = try JSON.parse(#"{"a":1,"b":2,"a":3}"#)
        #expect(parsed.text == #"{"a":3,"b":2}"#)
        var object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(JSON.object(object).text == #"{"a":3,"b":2}"#)
        object["a"] = nil
        #expect(object.keys == ["b"])
    }

    @Test func largeObjectsLookUpByIndex() throws {
        var object = JSONObject()
        for index in 0..<100 { object["k\(index)"] = .int(index) }
        object["k50"] = nil
        #expect(object.count == 99)
        #expect(object["k49"] == 49)
        #expect(object["k50"] == nil)
        #expect(object["k99"] == 99)
        object["k50"] = "back"
        #expect(object.keys.last == "k50")
        #expect(object["k50"] == "back")
    }

    @Test func nestingIsLimited() throws {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep, maximumDepth: 64) }
        #expect(try JSON.parse(deep, maximumDepth: 65).arrayValue?.count == 1)
        let error = #expect(throws: JSONParseError.self) { try JSON.parse("[1,,2]") }
        #expect(error?.offset == 3)
    }

    @Test func hostileNumbersDoNotTrap() throws {
        let value = try JSON.parse("[1e300, -0.5, 9223372036854775807, 9223372036854775808]")
        #expect(value[0]?.intValue == nil)
        #expect(value[1]?.intValue == nil)
        #expect(value[2]?.intValue == Int64.max)
        #expect(value[3]?.typeName == "number")
    }
}
