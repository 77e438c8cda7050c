import TesseraFormats
import TestSupport
import XCTest

/// The files made by `fixtures/make_hostile.py` (section "safetensors"): each
/// must be refused with the error that names its problem.
final class SafeTensorsHostileTests: XCTestCase {
    private func problem(_ name: String, file: StaticString = #filePath, line: UInt = #line) -> FormatError? {
        let path = Fixtures.path("hostile/\(name).safetensors")
        do {
            _ = try SafeTensors.read(path: path)
            XCTFail("\(name) was accepted", file: file, line: line)
        } catch let error as FormatError {
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
            return error
        } catch {
            XCTFail("\(name): unexpected error \(error)", file: file, line: line)
        }
        return nil
    }

    func testTruncatedFiles() {
        XCTAssertEqual(problem("st_truncated_data")?.problem, .offsetsPastEnd(end: 40, dataSize: 33))
        XCTAssertEqual(problem("st_truncated_data")?.tensor, "b")
        XCTAssertEqual(problem("st_truncated_header")?.problem, .headerPastEnd(length: 112, available: 22))
        XCTAssertEqual(problem("st_too_short")?.problem, .fileTooShort(size: 5))
    }

    func testHeaderLength() {
        XCTAssertEqual(problem("st_header_length_2_63")?.problem, .headerTooLarge(length: 1 << 63, limit: 100_000_000))
        XCTAssertEqual(problem("st_header_past_eof")?.problem, .headerPastEnd(length: 4096, available: 152))
    }

    func testHeaderText() {
        let utf8 = problem("st_non_utf8_header")
        XCTAssertEqual(utf8?.problem, .invalidUTF8)
        XCTAssertEqual(utf8?.offset, 10, "the byte after the opening quote of the first key")
        XCTAssertEqual(problem("st_malformed_json")?.problem, .malformedJSON(expected: "',' or '}'"))
        XCTAssertEqual(problem("st_deep_nesting")?.problem, .nestingTooDeep(limit: 64))
        XCTAssertEqual(problem("st_duplicate_names")?.problem, .duplicateKey("a"))
        XCTAssertEqual(problem("st_metadata_not_string")?.problem, .metadataNotStrings(key: "epoch"))
    }

    func testEntries() {
        let dtype = problem("st_unknown_dtype")
        XCTAssertEqual(dtype?.problem, .unknownDType("F8_E4M3"))
        XCTAssertEqual(dtype?.tensor, "a")
        XCTAssertEqual(problem("st_shape_overflow")?.problem, .shapeOverflow(shape: [1 << 32, 1 << 32]))
        XCTAssertEqual(problem("st_byte_size_mismatch")?.problem, .byteSizeMismatch(expected: 24, actual: 28))
        XCTAssertEqual(problem("st_offset_too_large")?.problem, .numberOutOfRange("18446744073709551640"))
    }

    func testLayout() {
        let overlap = problem("st_overlapping_offsets")
        XCTAssertEqual(overlap?.problem, .overlapping(previous: "a"))
        XCTAssertEqual(overlap?.tensor, "b")
        XCTAssertEqual(problem("st_offsets_past_end")?.problem, .offsetsPastEnd(end: 48, dataSize: 40))
        XCTAssertEqual(problem("st_gap")?.problem, .gap(start: 24, end: 28))
    }

    func testMessagesNameTheProblem() {
        XCTAssertTrue(problem("st_header_length_2_63")?.description.contains("header length 9223372036854775808") ?? false)
        XCTAssertTrue(problem("st_overlapping_offsets")?.description.contains("tensor 'b'") ?? false)
    }
}
