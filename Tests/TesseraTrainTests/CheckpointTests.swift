import XCTest
import TesseraCore
import TesseraFormats
import TesseraTrain
import TestSupport

/// Training checkpoints: save, restore, and continue bit-identically.
final class CheckpointTests: XCTestCase {
    /// A small trainer over the tile student's weights, fitting one Linear layer
    /// (blocks.0.mlp.fc2) to RNG-drawn targets so that the RNG stream matters too.
    private func makeTrainer() throws -> Trainer {
        let parameters = ParameterSet(try Fixtures.load("tile_student/model.safetensors"))
        parameters.setTrainable(false)
        parameters.setTrainable(true, prefix: "blocks.0.mlp.fc2.")
        return Trainer(parameters: parameters, schedule: LearningRateSchedule(baseLR: 1e-2, warmupSteps: 2, totalSteps: 8),
                       maxGradNorm: 0.5, seed: 7)
    }

    private func train(_ trainer: Trainer, steps: Int) throws {
        let fc2 = try trainer.parameters.require("blocks.0.mlp.fc2.weight", shape: [64, 256])
        let bias = try trainer.parameters.require("blocks.0.mlp.fc2.bias", shape: [64])
        let rows = 8
        for _ in 0..<steps {
            try trainer.step(microBatches: 2) { _ in
                let x = (0..<(rows * 256)).map { _ in Float(trainer.rng.normal()) }
                let target = (0..<(rows * 64)).map { _ in Float(trainer.rng.normal()) }
                var y = [Float](repeating: 0, count: rows * 64)
                Linear.forward(out: &y, inp: x, weight: fc2.data, bias: bias.data, rows: rows, inFeatures: 256, outFeatures: 64)
                let (loss, dy) = MeanSquaredError.lossAndGradient(y, target: target)
                Linear.backward(dinp: nil, dweight: fc2.grad, dbias: bias.grad, dout: dy, inp: x, weight: fc2.data,
                                rows: rows, inFeatures: 256, outFeatures: 64)
                return loss
            }
        }
    }

    func testResumeIsBitIdentical() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let straight = try makeTrainer()
        try train(straight, steps: 6)

        let first = try makeTrainer()
        try train(first, steps: 3)
        try TrainingCheckpoint.save(first, to: folder.file("ckpt.safetensors"))
        let resumed = try makeTrainer()
        try TrainingCheckpoint.restore(resumed, from: folder.file("ckpt.safetensors"))
        XCTAssertEqual(resumed.step, 3)
        XCTAssertEqual(resumed.rng, first.rng)
        try train(resumed, steps: 3)

        XCTAssertEqual(resumed.step, straight.step)
        XCTAssertEqual(resumed.rng, straight.rng)
        for (a, b) in zip(straight.parameters.parameters, resumed.parameters.parameters) {
            XCTAssertTrue(a.value.isBitIdentical(to: b.value), a.name)
            XCTAssertEqual(a.isTrainable, b.isTrainable, a.name)
            if let sa = straight.optimizer.state[a.name] {
                let sb = try XCTUnwrap(resumed.optimizer.state[a.name])
                XCTAssertTrue(sa.m.isBitIdentical(to: sb.m) && sa.v.isBitIdentical(to: sb.v), a.name)
                XCTAssertEqual(sa.step, sb.step)
            }
        }
        // The trained layer moved; the frozen ones did not.
        let original = try Fixtures.load("tile_student/model.safetensors")
        XCTAssertFalse(straight.parameters["blocks.0.mlp.fc2.weight"]!.value.isBitIdentical(to: original["blocks.0.mlp.fc2.weight"]!))
        XCTAssertTrue(straight.parameters["blocks.1.mlp.fc2.weight"]!.value.isBitIdentical(to: original["blocks.1.mlp.fc2.weight"]!))
    }

    func testRestoreRejectsForeignFiles() throws {
        let trainer = try makeTrainer()
        XCTAssertThrowsError(try TrainingCheckpoint.restore(trainer, from: Fixtures.path("tile_student/model.safetensors"))) {
            guard case TrainError.badCheckpoint = $0 else { return XCTFail("\($0)") }
        }
    }

    /// A checkpoint must be of exactly the trainer's model, at a step that exists: a left-over
    /// tensor (another model's, e.g. a deeper slide encoder) or a negative step (once a crash) is
    /// refused by name; the caller's metadata comes back.
    func testRestoreRefusesLeftOverTensorsAndNegativeSteps() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("ckpt.safetensors")
        try TrainingCheckpoint.save(try makeTrainer(), to: path, metadata: ["run": "x"])
        XCTAssertEqual(try TrainingCheckpoint.restore(try makeTrainer(), from: path)["run"], "x")
        func edited(_ change: (inout StateDict) -> Void) throws -> String {
            var dict = try SafeTensors.read(path: path)
            change(&dict)
            let copy = dict
            try SafeTensors.write(copy, to: folder.file("edited.safetensors"))
            return folder.file("edited.safetensors")
        }
        let extra = try edited { $0.set("param.blocks.9.norm1.weight", Tensor(zeros: [64])) }
        XCTAssertThrowsError(try TrainingCheckpoint.restore(try makeTrainer(), from: extra)) {
            XCTAssertTrue("\($0)".contains("tensor 'param.blocks.9.norm1.weight' belongs to no parameter of the model"), "\($0)")
        }
        let negative = try edited {
            $0.metadata[TrainingCheckpoint.metadataKey] = $0.metadata[TrainingCheckpoint.metadataKey]!
                .replacingOccurrences(of: #""step":0"#, with: #""step":-3"#)
        }
        XCTAssertThrowsError(try TrainingCheckpoint.restore(try makeTrainer(), from: negative)) {
            XCTAssertEqual("\($0)", "\(negative): not a usable training checkpoint: step -3 is negative")
        }
    }

    func testFreshStudentInitialisationFollowsTimm() throws {
        let parameters = ParameterSet(try Fixtures.load("tile_teacher/model.safetensors"))
        var rng = RandomGenerator(seed: 3)
        TimmInitialization.vit(parameters, rng: &rng, initValues: 1e-5, swiGLU: true)
        func stats(_ name: String) -> (mean: Double, std: Double, maxAbs: Double) {
            let x = parameters[name]!.value.floats().map(Double.init)
            let mean = x.reduce(0, +) / Double(x.count)
            let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count)).squareRoot()
            return (mean, std, x.map(abs).max()!)
        }
        XCTAssertEqual(stats("pos_embed").std, 0.02, accuracy: 1e-3)
        XCTAssertLessThan(stats("cls_token").maxAbs, 1e-5)
        XCTAssertEqual(stats("blocks.0.attn.qkv.weight").std, 0.02, accuracy: 1e-3)
        XCTAssertEqual(stats("blocks.0.attn.qkv.bias").maxAbs, 0)
        XCTAssertEqual(stats("blocks.0.norm1.weight").mean, 1)
        XCTAssertEqual(stats("blocks.0.ls1.gamma").mean, Double(Float(1e-5)))
        let fanIn = 3.0 * 16 * 16
        XCTAssertLessThanOrEqual(stats("patch_embed.proj.weight").maxAbs, 1 / fanIn.squareRoot())
        XCTAssertEqual(stats("patch_embed.proj.weight").std, 1 / fanIn.squareRoot() / 3.0.squareRoot(), accuracy: 2e-3)
        // SwiGLUPacked: the value half of fc1 starts near zero with bias 1.
        let fc1 = parameters["blocks.0.mlp.fc1.weight"]!.value.floats(), half = fc1.count / 2
        XCTAssertLessThan(fc1[half...].map(abs).max()!, 1e-5)
        XCTAssertGreaterThan(fc1[..<half].map(abs).max()!, 0.02)
        XCTAssertEqual(parameters["blocks.0.mlp.fc1.bias"]!.value.floats()[256...].allSatisfy { $0 == 1 }, true)
        // Same seed, same weights.
        let again = ParameterSet(try Fixtures.load("tile_teacher/model.safetensors"))
        var rng2 = RandomGenerator(seed: 3)
        TimmInitialization.vit(again, rng: &rng2, initValues: 1e-5, swiGLU: true)
        for (a, b) in zip(parameters.parameters, again.parameters) { XCTAssertTrue(a.value.isBitIdentical(to: b.value), a.name) }
    }
}
