import TesseraFormats
import XCTest

final class JSONParserTests: XCTestCase {
    private func parse(_ text: String, limit: Int = JSONParser.defaultNestingLimit) throws -> JSONValue {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try JSONParser.parse($0, path: "test.json", nestingLimit: limit) }
    }

    private func problem(_ text: String) -> FormatError.Problem? {
        do {
            _ = try parse(text)
            XCTFail("accepted \(text)")
        } catch {
            return (error as? FormatError)?.problem
        }
        return nil
    }

    func testValuesAndOrder() throws {
        let value = try parse(#" {"b": [1, -2.5e3, true, null], "a": "x\"\u00e9\ud83d\ude00\n"} "#)
        guard case .object(let members) = value else { return XCTFail("not an object") }
        XCTAssertEqual(members.map(\.key), ["b", "a"])
        XCTAssertEqual(value["a"]?.string, "x\"é😀\n")
        XCTAssertEqual(value.serialized(), #"{"b":[1,-2.5e3,true,null],"a":"x\"é😀\n"}"#)
    }

    func testIntegers() throws {
        XCTAssertEqual(try parse("9223372036854775807").nonNegativeInt, Int.max)
        XCTAssertNil(try parse("9223372036854775808").nonNegativeInt)
        XCTAssertNil(try parse("-1").nonNegativeInt)
        XCTAssertNil(try parse("1.0").nonNegativeInt)
    }

    func testRefusals() {
        XCTAssertEqual(problem(#"{"a":1,"a":2}"#), .duplicateKey("a"))
        XCTAssertEqual(problem(#"{"x":{"a":1,"a":2}}"#), .duplicateKey("a"))
        XCTAssertEqual(problem("[01]"), .malformedJSON(expected: "',' or ']'"))
        XCTAssertEqual(problem("[1,]"), .malformedJSON(expected: "a value"))
        XCTAssertEqual(problem("{} x"), .malformedJSON(expected: "end of document"))
        XCTAssertEqual(problem("\"a\tb\""), .malformedJSON(expected: "an escaped control character"))
        XCTAssertEqual(problem(#""\ud800x""#), .malformedJSON(expected: "a low surrogate escape"))
        XCTAssertEqual(problem(#""\udc00""#), .malformedJSON(expected: "a Unicode scalar"))
        XCTAssertEqual(problem(""), .malformedJSON(expected: "a value"))
        XCTAssertEqual(problem(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)),
                       .nestingTooDeep(limit: 64))
        XCTAssertNoThrow(try parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
    }

    func testInvalidUTF8IsLocated() {
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            let bytes: [UInt8] = Array(#"{"ab"#.utf8) + bad + Array(#"":1}"#.utf8)
            XCTAssertThrowsError(try bytes.withUnsafeBytes { try JSONParser.parse($0, path: "t", baseOffset: 8) }) { error in
                XCTAssertEqual((error as? FormatError)?.problem, .invalidUTF8)
                XCTAssertEqual((error as? FormatError)?.offset, 12)
            }
        }
    }
}
