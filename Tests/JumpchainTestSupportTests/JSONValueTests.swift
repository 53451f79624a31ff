import Foundation
import JumpchainJSON
import JumpchainTestSupport
import Testing

@Suite struct JSONValueTests {
    @Test func keepsIntegersBooleansAndDoublesApart() throws {
        let value = try JSON(parsing: #"{"a":1,"b":true,"c":1.5,"d":-0,"e":1e3,"f":null,"g":9223372036854775808}"#)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .bool(true))
        #expect(value["c"] == .double(1.5))
        #expect(value["d"] == .int(0))
        #expect(value["e"] == .double(1000))
        #expect(value["f"] == .null)
        #expect(value["g"] == .double(9_223_372_036_854_775_808))
    }

    @Test func decodesEscapes() throws {
        let value = try JSON(parsing: #"["a\"b\\c\/d\n", "\u00e9\ud83d\ude00", "plain é"]"#)
        #expect(value == ["a\"b\\c/d\n", "é😀", "plain é"])
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "tru", "\"abc", "[1] 2", "{\"a\":1,}", "\"\\ud800\"", "-"])
    func rejectsMalformedJSON(text: String) {
        #expect(throws: OpenAPIContractError.self) { try JSON(parsing: text) }
    }

    @Test func roundTripsThroughDescription() throws {
        let value: JSON = ["k": [1, 2.5, "s\n", nil, false], "e": [:]]
        #expect(try JSON(parsing: value.jsonBytes) == value)
        #expect(value.description == #"{"k":[1,2.5,"s\n",null,false],"e":{}}"#)
    }

    @Test func convertsJSONSerializationOutput() throws {
        let data = Data(#"{"i":1,"t":true,"f":false,"z":0,"d":2.5,"n":null,"a":["x"]}"#.utf8)
        let object = try JSONSerialization.jsonObject(with: data)
        let value = try JSON(jsonObject: object)
        #expect(value == ["i": 1, "t": true, "f": false, "z": 0, "d": 2.5, "n": nil, "a": ["x"]])
    }

    @Test func convertsSwiftValues() throws {
        let value = try JSON(jsonObject: ["n": 3, "b": true, "s": "x", "l": [1.5]] as [String: Any])
        #expect(value == ["n": 3, "b": true, "s": "x", "l": [1.5]])
    }
}
