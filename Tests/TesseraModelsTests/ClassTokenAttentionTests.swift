import TesseraCore
import TesseraFormats
import TesseraModels
import TestSupport
import XCTest

/// `SlideEncoder.classTokenAttention` reads the right layer: its weights equal the class token's
/// weights computed from the query and keys the training forward pass saves for the last layer.
final class ClassTokenAttentionTests: XCTestCase {
    func testAttentionOfTheLastLayerAsTheForwardPassComputesIt() throws {
        let model = try SlideEncoder.load(path: Fixtures.path("slide_encoder"))
        let expected = try Fixtures.load("finetune/multi_class/expected.safetensors")
        let tiles = try XCTUnwrap(expected["slide0.tile_embeds"])
        let cells = try model.grid().place(coords: try XCTUnwrap(expected["slide0.coords"])).cells
        let n = tiles.shape[0], d = model.config.embedDim
        var input = [Float](repeating: 0, count: (n + 1) * d)
        let saved = SlideEncoder.Activations(config: model.config, tiles: n)
        _ = try input.withUnsafeMutableBufferPointer {
            try model.forward(tileEmbeds: tiles, cells: cells, saving: saved, lastLayerInput: $0.baseAddress!)
        }
        let attention = model.classTokenAttention(lastLayerInput: input, tokens: n + 1)
        let last = saved.layer(model.config.depth - 1)
        let reference = DilatedAttention.classTokenWeights(q0: last.q, k: last.k, tokens: n + 1, heads: model.config.heads,
                                                           headDim: d / model.config.heads, branches: model.config.branches)
        XCTAssertEqual(attention.count, n)
        for (i, (a, r)) in zip(attention, reference.dropFirst()).enumerated() {
            XCTAssertEqual(Double(a), r, accuracy: 1e-6, "tile \(i)")
        }
        XCTAssertGreaterThan(attention.reduce(0, +), 0.5, "the class token looks mostly at tiles")
    }
}
