import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraTrain
import TestSupport

/// The ViT backward pass against PyTorch autograd (grad_README.txt):
/// loss = mse(output of the last block, target_hidden) + mse(embedding, target_embedding).
final class VisionTransformerGradientTests: XCTestCase {
    struct Case {
        let parameters: ParameterSet
        let model: VisionTransformer
        let input: Tensor
        let golden: StateDict
    }

    static func load(_ fixture: String) throws -> Case {
        let parameters = ParameterSet(try Fixtures.load("\(fixture)/model.safetensors"))
        let config = try VisionTransformer.Config.read(timmConfig: Fixtures.path("\(fixture)/config.json"))
        let model = try VisionTransformer(training: parameters, config: config)
        let input = try XCTUnwrap(try Fixtures.load("\(fixture)/expected.safetensors")["input"])
        return Case(parameters: parameters, model: model, input: input,
                    golden: try Fixtures.load("\(fixture)/grad_expected.safetensors"))
    }

    /// Forward, the fixture's loss and its gradients, backward; returns the loss.
    @discardableResult
    static func lossAndBackward(_ c: Case, input: Tensor, activations: VisionTransformer.TrainingActivations,
                                targetHidden: [Float], targetEmbedding: [Float]) throws -> Float {
        let (hidden, embedding) = try c.model.forward(input, activations: activations)
        let (lossH, dHidden) = MeanSquaredError.lossAndGradient(hidden, target: targetHidden)
        let (lossE, dEmbedding) = MeanSquaredError.lossAndGradient(embedding, target: targetEmbedding)
        c.model.backward(activations: activations, hiddenGradients: [c.model.config.depth - 1: dHidden],
                             embeddingGradient: dEmbedding, gradients: try c.model.gradients(c.parameters))
        return lossH + lossE
    }

    private func checkGradients(_ fixture: String) throws {
        let c = try Self.load(fixture)
        let batch = c.input.shape[0]
        let act = VisionTransformer.TrainingActivations(config: c.model.config, batch: batch)
        let loss = try Self.lossAndBackward(c, input: c.input, activations: act,
                                            targetHidden: c.golden["target_hidden"]!.floats(),
                                            targetEmbedding: c.golden["target_embedding"]!.floats())
        XCTAssertLessThan(relativeError([loss], c.golden["loss"]!.floats()), 1e-5, "\(fixture) loss")
        XCTAssertEqual(c.parameters.count, c.golden.names.filter { $0.hasPrefix("grad.") }.count)
        for p in c.parameters.parameters {
            let expected = try XCTUnwrap(c.golden["grad." + p.name], p.name)
            XCTAssertLessThanOrEqual(relativeError(p.gradient.floats(), expected.floats()), 1e-4, "\(fixture) \(p.name)")
        }

        // Activation checkpointing recomputes the same numbers: identical gradients.
        let grads = c.parameters.parameters.map { $0.gradient.converted(to: .f32) }
        c.parameters.zeroGradients()
        let lean = VisionTransformer.TrainingActivations(config: c.model.config, batch: batch, recompute: true)
        XCTAssertLessThan(lean.byteCount, act.byteCount)
        try Self.lossAndBackward(c, input: c.input, activations: lean,
                                 targetHidden: c.golden["target_hidden"]!.floats(),
                                 targetEmbedding: c.golden["target_embedding"]!.floats())
        for (p, g) in zip(c.parameters.parameters, grads) {
            XCTAssertTrue(p.gradient.isBitIdentical(to: g), "\(fixture) \(p.name) with recomputation")
        }
    }

    /// The memory target: ViT-B training at batch 32 in a few GB. With per-block
    /// recomputation the activations stay under 1 GiB (parameters, gradients and AdamW's two
    /// moments add 4 x 86M floats, 1.4 GB); keeping every block's activations would need 5 GB.
    func testViTBaseBatch32ActivationsFitWithRecomputation() throws {
        let config = try XCTUnwrap(VisionTransformer.Config.presets["vit_base_patch16_224"])
        let lean = VisionTransformer.TrainingActivations.floatCount(config: config, batch: 32, recompute: true) * 4
        let full = VisionTransformer.TrainingActivations.floatCount(config: config, batch: 32, recompute: false) * 4
        XCTAssertLessThan(lean, 1 << 30)
        XCTAssertGreaterThan(full, 4 * lean)
    }

    /// Frozen parameters get no gradient (their weight-gradient products are skipped); the
    /// trainable ones still get autograd's, since gradients flow through frozen layers.
    func testFrozenParametersGetNoGradient() throws {
        let c = try Self.load("tile_student")
        c.parameters.setTrainable(false)
        c.parameters.setTrainable(true, prefix: "patch_embed.")
        c.parameters.setTrainable(true, prefix: "blocks.1.mlp.")
        let act = VisionTransformer.TrainingActivations(config: c.model.config, batch: c.input.shape[0])
        try Self.lossAndBackward(c, input: c.input, activations: act, targetHidden: c.golden["target_hidden"]!.floats(),
                                 targetEmbedding: c.golden["target_embedding"]!.floats())
        for p in c.parameters.parameters {
            let g = p.gradient.floats()
            if p.isTrainable {
                XCTAssertLessThanOrEqual(relativeError(g, c.golden["grad." + p.name]!.floats()), 1e-4, p.name)
            } else {
                XCTAssertTrue(g.allSatisfy { $0 == 0 }, p.name)
            }
        }
    }

    func testStudentGradientsMatchAutograd() throws { try checkGradients("tile_student") }
    func testTeacherGradientsMatchAutograd() throws { try checkGradients("tile_teacher") }
}
extension ParameterSet {
    var count: Int { parameters.count }
}
