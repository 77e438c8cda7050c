import Foundation
import TesseraCore
@testable import TesseraFormats
import TestSupport
import XCTest

final class SafeTensorsWriteTests: XCTestCase {
    private var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    private func bits(_ tensor: Tensor) -> [UInt16] {
        (0..<tensor.count).map { tensor.bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) }
    }

    /// Writes `name` of the rounding fixture converted to `dtype` and returns what was read back.
    private func written(_ name: String, as dtype: SafeTensors.OutputDType) throws -> Tensor {
        let golden = try Fixtures.load("conversion/rounding.safetensors")
        var dict = StateDict()
        dict.set(name, try XCTUnwrap(golden[name]))
        let path = folder.file("\(name).\(dtype).safetensors")
        try SafeTensors.write(dict, to: path, dtype: dtype)
        return try XCTUnwrap(try SafeTensors.read(path: path)[name])
    }

    /// F32 -> F16 rounds to nearest even exactly as torch (ties, overflow to
    /// inf, subnormals, NaN payloads).
    func testF16ConversionMatchesTorch() throws {
        let expected = try XCTUnwrap(try Fixtures.load("conversion/rounding.safetensors")["source.f16"])
        let actual = try written("source", as: .f16)
        XCTAssertEqual(actual.dtype, .f16)
        XCTAssertEqual(actual.shape, expected.shape)
        XCTAssertEqual(bits(actual), bits(expected))
    }

    /// F32 -> BF16 rounds to nearest even exactly as torch. NaN only has to
    /// stay NaN: torch's own NaN bits depend on its code path (0xFFFF from
    /// the vectorised kernel, 0x7FC0 from the scalar one).
    func testBF16ConversionMatchesTorch() throws {
        let golden = try Fixtures.load("conversion/rounding.safetensors")
        let source = try XCTUnwrap(golden["source"])
        let expected = bits(try XCTUnwrap(golden["source.bf16"]))
        let actual = bits(try written("source", as: .bf16))
        XCTAssertEqual(actual.count, expected.count)
        for i in 0..<min(actual.count, expected.count) {
            if Float(source.scalar(at: i)).isNaN {
                XCTAssertTrue(HalfPrecision.float(fromBF16: actual[i]).isNaN, "element \(i)")
            } else {
                XCTAssertEqual(actual[i], expected[i], "element \(i): \(source.scalar(at: i))")
            }
        }
    }

    /// Every F16 and BF16 bit pattern widens to the F32 bits torch gives.
    func testWideningEveryHalfPatternMatchesTorch() throws {
        let golden = try Fixtures.load("conversion/rounding.safetensors")
        for name in ["all_f16", "all_bf16"] {
            let actual = try written(name, as: .f32)
            let expected = try XCTUnwrap(golden[name + ".f32"])
            XCTAssertTrue(actual.isBitIdentical(to: expected), name)
        }
    }

    func testNonFloatTensorsKeepTheirDType() throws {
        var dict = StateDict()
        dict.set("steps", Tensor(zeros: [3], dtype: .i64))
        dict.set("w", Tensor(shape: [2], floats: [1.5, -2]))
        let path = folder.file("mixed.safetensors")
        try SafeTensors.write(dict, to: path, dtype: .bf16)
        let back = try SafeTensors.read(path: path)
        XCTAssertEqual(back["steps"]?.dtype, .i64)
        XCTAssertEqual(back["w"]?.dtype, .bf16)
        XCTAssertEqual(back["w"]?.floats(), [1.5, -2])
    }

    /// Python orders a mixed-dtype file by dtype size, then name: the rounding
    /// fixture was written that way, so shuffling and reordering restores it.
    func testCanonicalOrderIsPythonsOrder() throws {
        let golden = try Fixtures.load("conversion/rounding.safetensors")
        var shuffled = StateDict()
        for name in golden.names.reversed() { shuffled.set(name, golden[name]!) }
        XCTAssertEqual(SafeTensors.canonicalOrder(shuffled).names, golden.names)
        XCTAssertNotEqual(shuffled.names, golden.names)
    }

    func testHeaderIsPaddedToEightBytes() throws {
        var dict = StateDict()
        dict.set("x", Tensor(shape: [1], floats: [1]))
        dict.metadata = ["format": "pt"]
        let path = folder.file("padded.safetensors")
        try SafeTensors.write(dict, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let length = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        XCTAssertEqual(length % 8, 0)
        XCTAssertEqual(String(decoding: bytes[8..<(8 + Int(length))], as: UTF8.self),
                       #"{"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"# + "   ")
    }

    func testFailedWriteLeavesNothingBehind() throws {
        struct Interrupted: Error {}
        let path = folder.file("out.safetensors")
        XCTAssertThrowsError(try AtomicOutput.write(to: path) { sink in
            try [UInt8](repeating: 1, count: 100).withUnsafeBytes { try sink($0) }
            throw Interrupted()
        })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }

    func testWriteReplacesAnExistingFileWhole() throws {
        let path = folder.file("out.safetensors")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        try SafeTensors.write(try Fixtures.load("slide_folder/expected.safetensors"), to: path)
        XCTAssertEqual(try SafeTensors.read(path: path).count, 4)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["out.safetensors"])
    }

    func testUnwritableDestinationIsAnIOError() {
        XCTAssertThrowsError(try SafeTensors.write(StateDict(), to: folder.file("missing/out.safetensors"))) { error in
            guard case .io(let operation, _)? = (error as? FormatError)?.problem else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertTrue(operation.hasPrefix("open the output folder"), operation)
        }
    }
}
