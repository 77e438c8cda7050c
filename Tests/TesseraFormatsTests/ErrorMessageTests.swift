import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// Errors from the readers name the file and, where known, the tensor or key
/// and the offset, in a few lines however large the names and values in the
/// file are: values appear as short excerpts, never as dumps.
final class ErrorMessageTests: XCTestCase {
    static let maxLength = 1200

    private func assertShort(_ error: Error, naming path: String, _ context: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        let message = "\(error)"
        XCTAssertLessThanOrEqual(message.count, Self.maxLength, "\(context): \(message.prefix(300))…", file: file, line: line)
        XCTAssertFalse(message.contains("\n"), "\(context): \(message.prefix(300))", file: file, line: line)
        XCTAssertFalse(message.contains("TesseraFormats."), "\(context): a type name leaked: \(message.prefix(300))",
                       file: file, line: line)
        XCTAssertTrue(message.contains(path), "\(context): \(message.prefix(300))", file: file, line: line)
    }

    /// Every refused fixture, torch and safetensors alike.
    func testEveryRefusalIsShortAndNamesTheFile() throws {
        var refused = 0
        for folder in ["hostile", "torch_cases"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: Fixtures.path(folder)).sorted() {
                let path = Fixtures.path(folder + "/" + name)
                do {
                    _ = name.hasSuffix(".safetensors") ? try SafeTensors.read(path: path) : try TorchCheckpoint.stateDict(path: path)
                } catch {
                    assertShort(error, naming: path, name)
                    refused += 1
                }
            }
        }
        XCTAssertGreaterThan(refused, 50)
    }

    /// A legacy checkpoint whose protocol-version pickle is a 200,000-entry
    /// dict: the message once held the whole dict as a Swift enum dump.
    func testPickleValuesAreDescribedNotDumped() throws {
        var bytes: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
        bytes += [0x80, 0x02, 0x7D, 0x28]  // PROTO 2, EMPTY_DICT, MARK
        for i in 0..<200_000 {
            bytes += [0x4A] + withUnsafeBytes(of: Int32(i).littleEndian, Array.init) + [0x4E]  // BININT i, NONE
        }
        bytes += [0x75, 0x2E]  // SETITEMS, STOP
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("version_dict.pt")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try TorchCheckpoint.read(path: path)) { error in
            self.assertShort(error, naming: path, "version dict")
            XCTAssertTrue("\(error)".contains("unsupported legacy protocol version a dict of 200000 entries"), "\(error)")
        }
    }

    /// A tensor name of a million characters with an unknown dtype, and a
    /// shape of 100,000 dimensions: excerpts and a count of what was left out.
    func testLongNamesAndShapesAreCut() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let name = String(repeating: "n", count: 1_000_000)
        let shape = "[" + Array(repeating: "4294967296", count: 100_000).joined(separator: ",") + "]"
        for (file, header) in [("long_name", #"{"\#(name)":{"dtype":"X9","shape":[],"data_offsets":[0,0]}}"#),
                               ("long_shape", #"{"a":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,0]}}"#)] {
            var bytes = Array(header.utf8)
            bytes = withUnsafeBytes(of: UInt64(bytes.count).littleEndian, Array.init) + bytes
            let path = folder.file(file + ".safetensors")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SafeTensors.read(path: path), file) { error in
                self.assertShort(error, naming: path, file)
                XCTAssertTrue("\(error)".contains(file == "long_name" ? "999920 more characters" : "(100000 values)"), "\(error)")
            }
        }
    }

    /// A global name of a million bytes, and a dict of 300,000 keys without a tensor.
    func testLongGlobalsAndKeyListsAreCut() throws {
        let module = [UInt8](repeating: UInt8(ascii: "m"), count: 1_000_000)
        let pickle: [UInt8] = [0x80, 0x02, 0x63] + module + [0x0A, 0x78, 0x0A, 0x4E, 0x61, 0x2E]  // GLOBAL, NONE, APPEND
        let failure: Error? = pickle.withUnsafeBytes { bytes in
            var unpickler = Unpickler(bytes: bytes)
            do { _ = try unpickler.load() } catch { return error }
            return nil
        }
        let message = "\(try XCTUnwrap(failure))"
        XCTAssertLessThanOrEqual(message.count, Self.maxLength)
        XCTAssertTrue(message.contains("APPEND to a global mmm"), "\(message.prefix(300))")
        let dict = PickleValue.dict((0..<300_000).map { (.string("key\($0)"), .int(Int64($0))) })
        XCTAssertThrowsError(try StateDictWrappers.find(in: dict)) { error in
            XCTAssertLessThanOrEqual("\(error)".count, Self.maxLength)
            XCTAssertTrue("\(error)".contains("'key9' and 299990 more"), "\(error)")
        }
    }
}
