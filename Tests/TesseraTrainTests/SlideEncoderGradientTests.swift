import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraTrain
import TestSupport

/// The slide encoder's backward pass against PyTorch autograd (fixtures/slide_encoder/grad_README.txt):
/// case n1100, loss = sum_i <layer_i_embed, r_layer_i> + <encoder_out_embed, r_encoder_out>
/// + <global_pool_embed, r_global_pool>; every parameter's gradient and d loss / d tile_embeds.
final class SlideEncoderGradientTests: XCTestCase {
    private func checkGradients(recompute: Bool) throws {
        let weights = try Fixtures.load("slide_encoder/slide_encoder.safetensors")
        let parameters = ParameterSet(weights)
        let config = try SlideEncoder.Config.inferred(
            from: weights, file: "slide_encoder.safetensors",
            configFile: try SlideEncoder.Config.File(path: Fixtures.path("slide_encoder/config.json")))
        let model = try SlideEncoder(training: parameters, config: config)
        let expected = try Fixtures.load("slide_encoder/expected.safetensors")
        let golden = try Fixtures.load("slide_encoder/grad_expected.safetensors")
        let tiles = try XCTUnwrap(expected["n1100.tile_embeds"])
        let cells = try model.grid().place(coords: try XCTUnwrap(expected["n1100.coords"])).cells
        let act = SlideEncoder.TrainingActivations(config: model.config, tiles: tiles.shape[0], recompute: recompute)
        let out = try model.forward(training: tiles, cells: cells, activations: act)

        // The training forward is the inference forward.
        for (i, e) in out.layerEmbeds.enumerated() {
            XCTAssertLessThan(relativeError(e, expected["n1100.layer_\(i)_embed"]!.floats()), 1e-4, "layer_\(i)_embed")
        }
        XCTAssertLessThan(relativeError(out.encoderOutEmbed, expected["n1100.encoder_out_embed"]!.floats()), 1e-4)
        XCTAssertLessThan(relativeError(out.globalPoolEmbed, expected["n1100.global_pool_embed"]!.floats()), 1e-4)

        let rLayers = (0...model.config.depth).map { golden["r_layer_\($0)"]!.floats() }
        let rEncoderOut = golden["r_encoder_out"]!.floats(), rGlobalPool = golden["r_global_pool"]!.floats()
        func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        let loss = zip(out.layerEmbeds, rLayers).reduce(0) { $0 + dot($1.0, $1.1) }
            + dot(out.encoderOutEmbed, rEncoderOut) + dot(out.globalPoolEmbed, rGlobalPool)
        XCTAssertLessThan(relativeError([Float(loss)], golden["loss"]!.floats()), 1e-4, "loss")

        var dTiles = [Float](repeating: 0, count: tiles.count)
        model.backward(activations: act, layerEmbedGradients: Dictionary(uniqueKeysWithValues: rLayers.enumerated().map { ($0, $1) }),
                           encoderOutGradient: rEncoderOut, globalPoolGradient: rGlobalPool, gradients: try model.gradients(parameters),
                           tileEmbeds: tiles, tileGradient: &dTiles)
        XCTAssertEqual(golden.names.filter { $0.hasPrefix("grad.") }.count, parameters.parameters.count + 1)
        for p in parameters.parameters {
            let want = try XCTUnwrap(golden["grad." + p.name], p.name)
            XCTAssertLessThanOrEqual(relativeError(p.gradient.floats(), want.floats()), 1e-4, p.name)
        }
        XCTAssertLessThanOrEqual(relativeError(dTiles, golden["grad.tile_embeds"]!.floats()), 1e-4, "tile_embeds")
    }

    func testGradientsMatchAutograd() throws { try checkGradients(recompute: false) }
    func testGradientsMatchAutogradWithRecomputation() throws { try checkGradients(recompute: true) }
}
