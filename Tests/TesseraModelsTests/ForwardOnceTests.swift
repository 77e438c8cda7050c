import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TestSupport

/// One forward pass serves inference and training: run with saved activations it computes
/// exactly what it computes without them, bit for bit, for both models.
final class ForwardOnceTests: XCTestCase {
    func testTileEncoderTrainingForwardIsTheInferenceForward() throws {
        for fixture in ["tile_teacher", "tile_student"] {
            let model = try VisionTransformer(weights: try Fixtures.load("\(fixture)/model.safetensors"),
                                              config: try VisionTransformer.Config.read(timmConfig: Fixtures.path("\(fixture)/config.json")))
            let images = try XCTUnwrap(try Fixtures.load("\(fixture)/expected.safetensors")["input"])
            let inference = try model.forward(images, hiddenStates: true)
            let saved = VisionTransformer.Activations(config: model.config, batch: images.shape[0])
            let (lastHidden, embedding) = try model.forward(images, saving: saved)
            let rows = images.shape[0] * model.config.tokens * model.config.embedDim
            for (i, state) in inference.hiddenStates.enumerated() {
                XCTAssertTrue(state.floats().elementsEqual(UnsafeBufferPointer(start: saved.states[i + 1], count: rows)),
                              "\(fixture) block \(i)")
            }
            XCTAssertTrue(inference.hiddenStates.last!.floats().elementsEqual(UnsafeBufferPointer(start: lastHidden, count: rows)))
            XCTAssertTrue(inference.embedding.floats().elementsEqual(
                UnsafeBufferPointer(start: embedding, count: images.shape[0] * model.config.embedDim)), "\(fixture) embedding")
        }
    }

    func testSlideEncoderTrainingForwardIsTheInferenceForward() throws {
        let model = try SlideEncoder.load(path: Fixtures.path("slide_encoder"))
        let expected = try Fixtures.load("slide_encoder/expected.safetensors")
        for n in [1, 1100] {
            let tiles = try XCTUnwrap(expected["n\(n).tile_embeds"])
            let cells = try model.grid().place(coords: try XCTUnwrap(expected["n\(n).coords"])).cells
            let inference = try model.forward(tileEmbeds: tiles, cells: cells)
            let saved = SlideEncoder.Activations(config: model.config, tiles: n)
            let training = try model.forward(tileEmbeds: tiles, cells: cells, saving: saved)
            XCTAssertEqual(inference.layerEmbeds, training.layerEmbeds, "n\(n) layer embeds")
            XCTAssertEqual(inference.encoderOutEmbed, training.encoderOutEmbed, "n\(n) encoder_out_embed")
            XCTAssertEqual(inference.globalPoolEmbed, training.globalPoolEmbed, "n\(n) global_pool_embed")
        }
    }
}
