import Foundation
import TesseraCore
@testable import TesseraFormats
import TestSupport
import XCTest

final class SafeTensorsReadTests: XCTestCase {
    /// Every safetensors file of the golden data (made by Python's `safetensors`).
    static func goldenFiles() throws -> [String] {
        let all = FileManager.default.enumerator(atPath: Fixtures.root)?.compactMap { $0 as? String } ?? []
        return all.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix("hostile/") && !$0.contains("/hostile/") }.sorted()
    }

    func testEveryFixtureReadsAsZeroCopyViews() throws {
        let files = try Self.goldenFiles()
        XCTAssertGreaterThanOrEqual(files.count, 14)
        for file in files {
            let dict = try SafeTensors.read(path: Fixtures.path(file))
            XCTAssertGreaterThan(dict.count, 0, file)
            for name in dict.names {
                XCTAssertTrue(dict[name]?.storage.isMapped ?? false, "\(file): \(name) is not a view of the file")
            }
        }
    }

    /// Python writes tensors sorted; reading keeps data order, so writing the
    /// dict back must give the very same bytes. (Python writes `__metadata__`
    /// from a hash map in no fixed order; with two or more keys only the
    /// content must match.)
    func testRoundTripIsByteIdentical() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        for file in try Self.goldenFiles() {
            let original = Fixtures.path(file)
            let copy = folder.file("copy.safetensors")
            let dict = try SafeTensors.read(path: original)
            try SafeTensors.write(dict, to: copy)
            let back = try SafeTensors.read(path: copy)
            XCTAssertEqual(back.names, dict.names, file)
            XCTAssertEqual(back.metadata, dict.metadata, file)
            for name in dict.names {
                XCTAssertTrue(try XCTUnwrap(back[name]).isBitIdentical(to: try XCTUnwrap(dict[name])), "\(file): \(name)")
            }
            if dict.metadata.count <= 1 {
                let same = try Data(contentsOf: URL(fileURLWithPath: copy)) == Data(contentsOf: URL(fileURLWithPath: original))
                XCTAssertTrue(same, "\(file) did not round-trip byte for byte")
            }
        }
    }

    func testValuesMatchTheHeader() throws {
        let dict = try Fixtures.load("tile_teacher/model.safetensors")
        let bias = try XCTUnwrap(dict["blocks.0.attn.proj.bias"])
        XCTAssertEqual(bias.dtype, .f32)
        XCTAssertEqual(bias.shape, [96])
        XCTAssertEqual(dict.names, dict.names.sorted(), "data order of a Python-written file is name order")
    }

    func testMetadataIsRead() throws {
        let dict = try Fixtures.load("conversion/rounding.safetensors")
        XCTAssertEqual(dict.metadata["made_by"], "fixtures/make_conversion.py")
    }
}
