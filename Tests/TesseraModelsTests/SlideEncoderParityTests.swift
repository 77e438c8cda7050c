import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TestSupport

/// The slide encoder against the prov-gigapath reference outputs in
/// fixtures/slide_encoder (4 heads: n = 1, 9, 1100, 6000) and
/// fixtures/slide_encoder_16h (16 heads: n = 5, 2100), every output key.
final class SlideEncoderParityTests: XCTestCase {
    func testFourHeadsFromSafetensors() throws {
        try checkParity(folder: "slide_encoder", checkpoint: "slide_encoder.safetensors", cases: [1, 9, 1100, 6000])
    }

    func testSixteenHeadsFromSafetensors() throws {
        try checkParity(folder: "slide_encoder_16h", checkpoint: "slide_encoder.safetensors", cases: [5, 2100])
    }

    func testFourHeadsFromTorchCheckpoint() throws {
        try checkParity(folder: "slide_encoder", checkpoint: "slide_encoder.pth", cases: [1, 9, 1100, 6000])
    }

    func testSixteenHeadsFromTorchCheckpoint() throws {
        try checkParity(folder: "slide_encoder_16h", checkpoint: "slide_encoder.pth", cases: [5, 2100])
    }

    /// Loading the directory picks the checkpoint and reads config.json (4 heads, not the default 16).
    func testDirectoryLoadReadsConfig() throws {
        let model = try SlideEncoder.load(path: Fixtures.path("slide_encoder"))
        XCTAssertEqual(model.config.heads, 4)
        XCTAssertEqual(model.config.inChans, 96)
        XCTAssertEqual(model.config.embedDim, 64)
        XCTAssertEqual(model.config.depth, 2)
        XCTAssertEqual(model.config.ffnDim, 256)
        try checkParity(folder: "slide_encoder", checkpoint: nil, cases: [9])
    }

    func checkParity(folder: String, checkpoint: String?, cases: [Int],
                     file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try Fixtures.load("\(folder)/expected.safetensors")
        let model = try SlideEncoder.load(path: Fixtures.path(checkpoint.map { "\(folder)/\($0)" } ?? folder))
        for n in cases {
            let prefix = "n\(n)."
            let tiles = try XCTUnwrap(expected[prefix + "tile_embeds"], file: file, line: line)
            let coords = try XCTUnwrap(expected[prefix + "coords"], file: file, line: line)
            let placement = try model.grid().place(coords: coords)
            let out = try model.forward(tileEmbeds: tiles, cells: placement.cells)
            var keys = (0...model.config.depth).map { "layer_\($0)_embed" }
            keys += ["encoder_out_embed", "global_pool_embed"]
            let produced = Dictionary(uniqueKeysWithValues: out.named(pool: .mean).map { ($0.name, $0.values) })
            for key in keys {
                let want = try XCTUnwrap(expected[prefix + key], "\(folder) \(prefix + key)", file: file, line: line).floats()
                let got = try XCTUnwrap(produced[key], file: file, line: line)
                let err = relativeError(got, want)
                XCTAssertLessThan(err, 1e-4, "\(folder) \(prefix + key): relative error \(err)", file: file, line: line)
            }
            XCTAssertEqual(produced["last_layer_embed"], produced["layer_\(model.config.depth)_embed"], file: file, line: line)
            XCTAssertEqual(produced["slide_embed"], produced["global_pool_embed"], file: file, line: line)
        }
    }
}
