import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraTrain
import TestSupport

/// Training the tile student: N steps straight equal N/2 steps, a checkpoint, a resume
/// into a freshly built model, and N/2 more steps, bit for bit.
final class VisionTransformerResumeTests: XCTestCase {
    typealias G = VisionTransformerGradientTests

    /// A trainer over a fresh load of the student (warm-up + cosine, clipping, seeded RNG).
    private func makeTrainer() throws -> (Trainer, G.Case) {
        let c = try G.load("tile_student")
        let trainer = Trainer(parameters: c.parameters, optimizer: AdamW(settings: .init(weightDecay: 0.05)),
                              schedule: LearningRateSchedule(baseLR: 1e-3, warmupSteps: 2, totalSteps: 6, warmupStartLR: 1e-4),
                              maxGradNorm: 1, seed: 11)
        return (trainer, c)
    }

    /// Steps of two micro-batches of one image each, drawn by the trainer's RNG from the
    /// fixture's four, fitted to the fixture's targets.
    private func train(_ trainer: Trainer, _ c: G.Case, steps: Int) throws {
        let act = VisionTransformer.TrainingActivations(config: c.model.config, batch: 1, recompute: true)
        let images = c.input.floats(), hidden = c.golden["target_hidden"]!.floats()
        let embedding = c.golden["target_embedding"]!.floats()
        let perImage = images.count / 4, perHidden = hidden.count / 4, d = c.model.config.embedDim
        for _ in 0..<steps {
            try trainer.step(microBatches: 2) { _ in
                let k = Int(trainer.rng.next() % 4)
                let image = Tensor(shape: [1] + c.input.shape.dropFirst(), floats: Array(images[(k * perImage)..<((k + 1) * perImage)]))
                return try G.lossAndBackward(c, input: image, activations: act,
                                             targetHidden: Array(hidden[(k * perHidden)..<((k + 1) * perHidden)]),
                                             targetEmbedding: Array(embedding[(k * d)..<((k + 1) * d)]))
            }
        }
    }

    func testResumeContinuesBitIdentically() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let (straight, c1) = try makeTrainer()
        try train(straight, c1, steps: 4)

        let (first, c2) = try makeTrainer()
        try train(first, c2, steps: 2)
        try TrainingCheckpoint.save(first, to: folder.file("student.ckpt.safetensors"))
        let (resumed, c3) = try makeTrainer()
        try TrainingCheckpoint.restore(resumed, from: folder.file("student.ckpt.safetensors"))
        try train(resumed, c3, steps: 2)

        XCTAssertEqual(resumed.step, 4)
        let original = try Fixtures.load("tile_student/model.safetensors")
        for (a, b) in zip(straight.parameters.parameters, resumed.parameters.parameters) {
            XCTAssertTrue(a.value.isBitIdentical(to: b.value), a.name)
            XCTAssertFalse(a.value.isBitIdentical(to: original[a.name]!), "\(a.name) did not train")
        }
    }
}
