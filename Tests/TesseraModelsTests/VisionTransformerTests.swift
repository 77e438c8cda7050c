import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TestSupport

final class VisionTransformerTests: XCTestCase {
    /// Runs `input` of the fixture's expected.safetensors and checks every block,
    /// the features and the embedding against the reference.
    static func assertParity(_ model: VisionTransformer, fixture: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try Fixtures.load("\(fixture)/expected.safetensors")
        let out = try model.forward(expected["input"]!, hiddenStates: true, features: true)
        XCTAssertEqual(out.hiddenStates.count, model.config.depth, file: file, line: line)
        for (i, state) in out.hiddenStates.enumerated() {
            let want = expected["blocks.\(i)"]!
            XCTAssertEqual(state.shape, want.shape, file: file, line: line)
            XCTAssertLessThan(relativeError(state.floats(), want.floats()), 1e-4, "\(fixture) blocks.\(i)", file: file, line: line)
        }
        XCTAssertLessThan(relativeError(out.features!.floats(), expected["features"]!.floats()), 1e-4,
                          "\(fixture) features", file: file, line: line)
        XCTAssertEqual(out.embedding.shape, expected["embedding"]!.shape, file: file, line: line)
        XCTAssertLessThan(relativeError(out.embedding.floats(), expected["embedding"]!.floats()), 1e-4,
                          "\(fixture) embedding", file: file, line: line)
    }

    static func configJSON(_ fixture: String) throws -> VisionTransformer.Config {
        try VisionTransformer.Config.read(timmConfig: Fixtures.path("\(fixture)/config.json"))
    }

    func testTeacherMatchesReference() throws {
        let weights = try Fixtures.load("tile_teacher/model.safetensors")
        let model = try VisionTransformer(weights: weights, config: Self.configJSON("tile_teacher"))
        XCTAssertEqual(model.config.mlp, .swiGLUPacked)
        XCTAssertNotNil(model.blocks[0].ls1)
        try Self.assertParity(model, fixture: "tile_teacher")
    }

    func testStudentMatchesReference() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        let model = try VisionTransformer(weights: weights, config: Self.configJSON("tile_student"))
        XCTAssertEqual(model.config.mlp, .gelu)
        XCTAssertNil(model.blocks[0].ls1)
        try Self.assertParity(model, fixture: "tile_student")
    }

    /// Every weights file of both fixtures (safetensors, torch zip, legacy torch,
    /// timm training checkpoint with `module.` keys) gives the reference outputs.
    func testEveryCheckpointFormatMatchesReference() throws {
        for fixture in ["tile_teacher", "tile_student"] {
            for file in ["model.safetensors", "pytorch_model.bin", "legacy_format.bin", "train_checkpoint.pth.tar"] {
                let checkpoint = try Checkpoint.open(path: Fixtures.path("\(fixture)/\(file)"))
                let model = try VisionTransformer(weights: checkpoint.stateDict, config: Self.configJSON(fixture))
                try Self.assertParity(model, fixture: fixture)
            }
        }
    }

    /// f32 weights stay views of the mapped file; other dtypes become owned f32 once.
    func testWeightsAreMappedViewsOrConvertedOnce() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        let model = try VisionTransformer(weights: weights, config: Self.configJSON("tile_student"))
        XCTAssertTrue(model.blocks[1].mlp.fc2.weight.storage.isMapped)
        XCTAssertTrue(model.posEmbed.storage.isMapped)
        var half = StateDict()
        for name in weights.names { half.set(name, weights[name]!.converted(to: .bf16)) }
        let converted = try VisionTransformer(weights: half, config: Self.configJSON("tile_student"))
        XCTAssertEqual(converted.blocks[1].mlp.fc2.weight.dtype, .f32)
        XCTAssertFalse(converted.blocks[1].mlp.fc2.weight.storage.isMapped)
    }

    /// `load` on a Hugging Face directory reads its config.json; on a bare file
    /// without an architecture it infers one from the shapes.
    func testLoadFromDirectoryAndBareFile() throws {
        let directory = try VisionTransformer.load(path: Fixtures.path("tile_teacher"))
        XCTAssertEqual(directory.configSource, "config.json")
        XCTAssertEqual(directory.model.config, try Self.configJSON("tile_teacher"))
        try Self.assertParity(directory.model, fixture: "tile_teacher")
        let bare = try VisionTransformer.load(path: Fixtures.path("tile_student/pytorch_model.bin"))
        XCTAssertEqual(bare.configSource, "shapes")
        XCTAssertEqual(bare.model.config.heads, 2, "head width 32 below a width of 128, without a config")
        XCTAssertThrowsError(try VisionTransformer.load(path: Fixtures.path("tile_student"), architecture: "gigapath"))
    }

    /// The embedding of an image does not depend on its batch companions, and a
    /// workspace planned for more images serves a smaller batch.
    func testSingleImageInLargerWorkspaceMatchesBatchRow() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        let model = try VisionTransformer(weights: weights, config: Self.configJSON("tile_student"))
        let expected = try Fixtures.load("tile_student/expected.safetensors")
        let input = expected["input"]!, per = input.count / input.shape[0]
        let third = Tensor(shape: [1] + Array(input.shape.dropFirst()), floats: Array(input.floats()[(2 * per)..<(3 * per)]))
        let out = try model.forward(third, workspace: model.makeWorkspace(batch: 4))
        let want = Array(expected["embedding"]!.floats()[(2 * 64)..<(3 * 64)])
        XCTAssertLessThan(relativeError(out.embedding.floats(), want), 1e-4)
    }

    /// Without a config the shapes give everything but the head count.
    func testConfigInferredFromShapesMatchesConfigJSON() throws {
        for (fixture, heads) in [("tile_teacher", 4), ("tile_student", 2)] {
            let weights = try Fixtures.load("\(fixture)/model.safetensors")
            var fromJSON = try Self.configJSON(fixture)
            let inferred = try VisionTransformer.Config.inferred(from: weights, heads: heads)
            fromJSON.architecture = inferred.architecture
            fromJSON.mlpRatio = inferred.mlpRatio
            fromJSON.mlpHidden = weights["blocks.0.mlp.fc1.weight"]!.shape[0]
            XCTAssertEqual(inferred, fromJSON, fixture)
            XCTAssertEqual(inferred.parameterCount, weights.parameterCount, fixture)
        }
    }

    /// The published size of Prov-GigaPath's tile encoder (docs/models.md §2.1) and
    /// SwiGLUPacked's hidden width F = 4096 for D = 1536.
    func testGigaPathPresetHasThePublishedSize() throws {
        let gigapath = try VisionTransformer.Config.preset("gigapath")
        XCTAssertEqual(gigapath.parameterCount, 1_134_953_984)
        XCTAssertEqual(gigapath.mlpGated, 4096)
        XCTAssertEqual(gigapath.tokens, 197)
    }

    func testUnknownArchitectureIsNamed() {
        XCTAssertThrowsError(try VisionTransformer.Config.preset("resnet50")) { error in
            XCTAssertTrue("\(error)".contains("resnet50"), "\(error)")
        }
    }

    /// One error lists every missing, unexpected and mis-shaped tensor.
    func testMismatchedWeightsAreAllListed() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        var broken = StateDict()
        for name in weights.names where name != "blocks.1.norm2.bias" && name != "pos_embed" {
            broken.set(name, name == "blocks.0.attn.qkv.weight" ? Tensor(zeros: [64, 64]) : weights[name]!)
        }
        broken.set("head.weight", Tensor(zeros: [10, 64]))
        XCTAssertThrowsError(try VisionTransformer(weights: broken, config: Self.configJSON("tile_student"))) { error in
            guard case .weights(let mismatch)? = error as? VisionTransformerError else { return XCTFail("\(error)") }
            XCTAssertEqual(mismatch.missing, ["pos_embed", "blocks.1.norm2.bias"])
            XCTAssertEqual(mismatch.unexpected, ["head.weight"])
            XCTAssertEqual(mismatch.misshaped, [.init(name: "blocks.0.attn.qkv.weight", expected: [192, 64], actual: [64, 64])])
        }
    }

    /// Zero sizes from a hostile config or checkpoint are refused before any division by them.
    func testZeroSizesAreRefused() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        var config = try Self.configJSON("tile_student")
        config.heads = 0
        XCTAssertThrowsError(try VisionTransformer(weights: weights, config: config)) { error in
            XCTAssertTrue("\(error)".contains("0 heads"), "\(error)")
        }
        XCTAssertThrowsError(try VisionTransformer.Config.inferred(from: weights, heads: 0))
        var noTokens = StateDict()
        for name in weights.names { noTokens.set(name, name == "pos_embed" ? Tensor(zeros: [1, 0, 64]) : weights[name]!) }
        XCTAssertThrowsError(try VisionTransformer.Config.inferred(from: noTokens)) { error in
            XCTAssertTrue("\(error)".contains("no patch tokens"), "\(error)")
        }
    }

    func testWrongInputShapeIsRejected() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        let model = try VisionTransformer(weights: weights, config: Self.configJSON("tile_student"))
        XCTAssertThrowsError(try model.forward(Tensor(zeros: [1, 3, 200, 224])))
    }
}
