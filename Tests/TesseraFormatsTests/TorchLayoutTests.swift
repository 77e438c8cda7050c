import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// Strides, storage offsets, shared storages and every dtype, in both torch
/// formats and pickle protocols 2 and 4, against the contiguous tensors torch
/// computed (fixtures/torch_layouts).
final class TorchLayoutTests: XCTestCase {
    func testEveryLayoutMatchesTorch() throws {
        let expected = try Fixtures.load("torch_layouts/expected.safetensors")
        for file in ["zip.pt", "legacy.pt", "zip_protocol4.pt", "legacy_protocol4.pt"] {
            let found = try TorchCheckpoint.stateDict(path: Fixtures.path("torch_layouts/" + file))
            XCTAssertEqual(found.names.sorted(), expected.names.sorted(), file)
            for name in expected.names {
                guard let tensor = found[name], let reference = expected[name] else { continue }
                XCTAssertTrue(tensor.isBitIdentical(to: reference), "\(file): \(name) \(tensor.shape) vs \(reference.shape)")
            }
            // Contiguous layouts stay views of the file; strided ones are copies.
            for name in ["base", "row", "slice_of_big", "parameter"] {
                XCTAssertEqual(found[name]?.storage.isMapped, true, "\(file): \(name)")
            }
            for name in ["transposed", "column", "expanded"] {
                XCTAssertEqual(found[name]?.storage.isMapped, false, "\(file): \(name)")
            }
            // "row" is the second row of "base": the same bytes of one shared storage.
            let base = try XCTUnwrap(found["base"]), row = try XCTUnwrap(found["row"])
            XCTAssertEqual(row.bytes.baseAddress, base.bytes.baseAddress.map { $0 + 4 * 4 }, file)
        }
    }
}
