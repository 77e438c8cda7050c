import Foundation
import TesseraFormats
import TestSupport
import XCTest

/// The unpickler against CPython: plain data pickled with protocols 2-5
/// (fixtures/pickles, made by make_pickles.py) must unpickle to the canonical
/// text CPython wrote for it.
final class UnpicklerTests: XCTestCase {
    /// The canonical text of make_pickles.py (see its docstring).
    private func canonical(_ value: PickleValue) -> String {
        func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
            bytes.map { String(format: "%02x", $0) }.joined()
        }
        switch value {
        case .none: return "N"
        case .bool(let b): return b ? "T" : "F"
        case .int(let i): return "i\(i)"
        case .bigInt(let bytes): return "L" + hex(bytes)
        case .float(let d): return "f" + String(format: "%016llx", d.bitPattern)
        case .string(let s): return "s" + hex(s.utf8)
        case .bytes(let b): return "b" + hex(b)
        case .list(let items): return "[" + items.map(canonical).joined(separator: ",") + "]"
        case .tuple(let items): return "(" + items.map(canonical).joined(separator: ",") + ")"
        case .dict(let entries):
            return "{" + entries.map { canonical($0.key) + ":" + canonical($0.value) }.joined(separator: ",") + "}"
        case .object(let name, let arguments, let state):
            return "O\(name)(" + arguments.map(canonical).joined(separator: ",") + ")" + (state.map { "=" + canonical($0) } ?? "")
        case .tensor, .unreadableTensor, .storage, .global: return "?\(value.kind)"
        }
    }

    func testProtocolsTwoToFiveMatchCPython() throws {
        let expected = try String(contentsOfFile: Fixtures.path("pickles/expected.txt"), encoding: .utf8)
            .trimmingCharacters(in: .newlines)
        for protocol_ in 2...5 {
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("pickles/data_p\(protocol_).pkl")))
            let value = try data.withUnsafeBytes { bytes in
                var unpickler = Unpickler(bytes: bytes)
                let value = try unpickler.load()
                XCTAssertEqual(unpickler.endOffset, bytes.count, "protocol \(protocol_): STOP is the last byte")
                return value
            }
            let text = canonical(value)
            XCTAssertTrue(text == expected, "protocol \(protocol_): first difference at character "
                          + "\(zip(text, expected).prefix(while: { $0 == $1 }).count)")
        }
    }
}
