import XCTest
import CTesseraKernels
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline
import TesseraTrain
import TestSupport

/// The models at `--precision bf16` against the same models in f32 (parity-checked against the
/// references elsewhere), on the demo slide's 14 tiles: every Linear of the blocks on a bf16
/// kernel (the patch embedding and the attention's products too), the same bits whatever the
/// threads, and the accuracy rule
/// of docs/models.md §7: smallest cosine to f32 >= 0.9999.
final class Bf16ModelTests: XCTestCase {
    func testFixtureTeacherAndStudent() throws {
        for name in ["tile_teacher", "tile_student"] {
            try assertTileEmbeddingsHold(try Fixtures.load("\(name)/model.safetensors"), VisionTransformerTests.configJSON(name), name)
        }
    }

    /// timm-initialised ViT-S/16 and ViT-B/16 (random weights, seed 0).
    func testFreshViTSmallAndBase() throws {
        for name in ["vit_small_patch16_224", "vit_base_patch16_224"] {
            let config = try VisionTransformer.Config.preset(name)
            try assertTileEmbeddingsHold(ParameterSet(freshViT: config, seed: 0).stateDict(), config, name)
        }
    }

    /// The fixture teacher, then the fixture slide encoder, both bf16, against both f32: every
    /// slide output.
    func testSlidePipeline() throws {
        let tileDict = try Fixtures.load("tile_teacher/model.safetensors")
        let tileConfig = try VisionTransformerTests.configJSON("tile_teacher")
        let slideFile = try SlideEncoder.checkpointFile(Fixtures.path("slide_encoder"))
        let slideDict = try Checkpoint.open(path: slideFile).stateDict
        let slideConfig = try SlideEncoder.load(path: slideFile).config
        func outputs(_ precision: ComputePrecision) throws -> [(name: String, values: [Float])] {
            let tile = try VisionTransformer(weights: tileDict, config: tileConfig, precision: precision)
            let slide = try SlideEncoder(weights: slideDict, config: slideConfig, precision: precision)
            XCTAssert(slide.encoder.layers[0].ffn.fc1.kernel.hasPrefix(precision == .bf16 ? "bf16-" : "f32"))
            return try QuantisedModelTests.slideOutputs(tile: tile, slideEncoder: slide)
        }
        let reference = try outputs(.f32), bf16 = try outputs(.bf16)
        XCTAssertEqual(reference.map(\.name), bf16.map(\.name))
        for ((name, want), (_, got)) in zip(reference, bf16) {
            let cosine = QuantisedModelTests.cosine(got, want)
            print("bf16 slide pipeline \(name): cosine to f32 \(String(format: "%.7f", cosine))")
            XCTAssertGreaterThanOrEqual(cosine, 0.9999, name)
        }
        // layer_0_embed is the class token before any layer: the same in both.
        XCTAssertNotEqual(reference.last!.values, bf16.last!.values, "bf16 computes something else than f32")
    }

    /// A bf16 layer whose bias is not finite is refused by name at load, not packed.
    func testNonFiniteBiasIsRefused() throws {
        var weights = try Fixtures.load("tile_teacher/model.safetensors")
        let config = try VisionTransformerTests.configJSON("tile_teacher")
        var bias = weights["blocks.0.attn.qkv.bias"]!.floats()
        bias[3] = .nan
        weights.set("blocks.0.attn.qkv.bias", Tensor(shape: [bias.count], floats: bias))
        XCTAssertThrowsError(try VisionTransformer(weights: weights, config: config, precision: .bf16)) { error in
            XCTAssert("\(error)".contains("blocks.0.attn.qkv.weight: bf16 weights need a finite bias; element 3 is nan"), "\(error)")
        }
        XCTAssertNoThrow(try VisionTransformer(weights: weights, config: config), "f32 computes it (NaN out)")
    }

    private func assertTileEmbeddingsHold(_ weights: StateDict, _ config: VisionTransformer.Config, _ label: String) throws {
        let images = QuantisedModelTests.images
        let reference = try VisionTransformer(weights: weights, config: config).forward(images).embedding
        let model = try VisionTransformer(weights: weights, config: config, precision: .bf16)
        let kernels = Set(model.blocks.flatMap { [$0.attn.qkv, $0.attn.proj, $0.mlp.fc1, $0.mlp.fc2].map(\.kernel) })
        XCTAssertEqual(kernels, ["bf16-" + String(cString: tk_path_name(tk_best_path()))], label)
        XCTAssertEqual(model.patchEmbed.proj.kernel, kernels.first, "\(label): the patch embedding is bf16 too")
        let embedding = try model.forward(images).embedding
        let smallest = QuantisedModelTests.smallestCosine(embedding, reference, dim: config.embedDim)
        print("\(label) bf16: smallest cosine to f32 over \(images.shape[0]) tiles \(String(format: "%.7f", smallest))")
        XCTAssertGreaterThanOrEqual(smallest, 0.9999, label)
        let threads = Parallel.threadCount
        defer { Parallel.threadCount = threads }
        Parallel.threadCount = 1
        XCTAssertEqual(try model.forward(images).embedding.floats().map(\.bitPattern), embedding.floats().map(\.bitPattern),
                       "\(label): one thread gives the same bits")
    }
}
