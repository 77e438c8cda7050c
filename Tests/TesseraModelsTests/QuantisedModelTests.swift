import XCTest
import TesseraBundle
import TesseraCore
import TesseraFormats
import TesseraImage
import TesseraModels
import TesseraPipeline
import TesseraTrain
import TestSupport

/// Models built from their tensors as an int8 (or f16) bundle stores them (the bundle
/// writer's own conversion, `BundleWriter.storedTensors`), against the same models in f32,
/// on the demo slide's 14 tiles: the accuracy rule of formats/bundle.md ("Dtypes and
/// quantisation") holds when the smallest cosine over the tiles stays >= 0.999.
final class QuantisedModelTests: XCTestCase {
    static let slide = Fixtures.path("slide_folder/demo_slide")

    /// The demo slide's tiles, preprocessed once: [14, 3, 224, 224].
    static let images: Tensor = {
        let paths = try! TileList.resolve([slide]).paths
        var pixels: [Float] = []
        for path in paths { pixels += try! TilePreprocessor.gigapath.tensor(path: path).floats() }
        return Tensor(shape: [paths.count, 3, 224, 224], floats: pixels)
    }()

    func testFixtureStudent() throws {
        let weights = try Fixtures.load("tile_student/model.safetensors")
        try assertTileEmbeddingsHold(weights, VisionTransformerTests.configJSON("tile_student"), "fixture student")
    }

    func testFixtureTeacher() throws {
        let weights = try Fixtures.load("tile_teacher/model.safetensors")
        try assertTileEmbeddingsHold(weights, VisionTransformerTests.configJSON("tile_teacher"), "fixture teacher")
    }

    /// timm-initialised ViT-S/16 and ViT-B/16 (random weights, seed 0); f16 is the f32
    /// product of its widened weights (LinearLayerPrecisionTests), so int8 only.
    func testFreshViTSmallAndBase() throws {
        for name in ["vit_small_patch16_224", "vit_base_patch16_224"] {
            let config = try VisionTransformer.Config.preset(name)
            try assertTileEmbeddingsHold(ParameterSet(freshViT: config, seed: 0).stateDict(), config, name, precisions: [.int8])
        }
    }

    /// Each Linear of a random ViT-S/16 int8 alone, the rest f32, on the first 4 tiles: the
    /// loss of cosine per layer, for the rule's record (formats/bundle.md); none may cost
    /// more than a tenth of the 0.999 floor.
    func testEachLinearAlone() throws {
        let config = try VisionTransformer.Config.preset("vit_small_patch16_224")
        let weights = ParameterSet(freshViT: config, seed: 0).stateDict()
        let per = 3 * 224 * 224
        let images = Tensor(shape: [4, 3, 224, 224], floats: Array(Self.images.floats()[0..<(4 * per)]))
        let reference = try VisionTransformer(weights: weights, config: config).forward(images).embedding
        var losses: [(name: String, loss: Double)] = []
        for name in weights.names where BundleWeights.isMatrixWeight(name: name, shape: weights[name]!.shape) {
            var single = StateDict()
            single.set(name, weights[name]!)
            let quantised = try stored(single, .tileEncoder, .int8)
            var mixed = StateDict()
            for (key, tensor) in weights.entries where key != name { mixed.set(key, tensor) }
            for (key, tensor) in quantised.entries { mixed.set(key, tensor) }
            let embedding = try VisionTransformer(weights: mixed, config: config).forward(images).embedding
            losses.append((name, 1 - Self.smallestCosine(embedding, reference, dim: config.embedDim)))
        }
        XCTAssertEqual(losses.count, 4 * config.depth)
        for (name, loss) in losses.sorted(by: { $0.loss > $1.loss }).prefix(8) {
            print("ViT-S/16 \(name) int8 alone: 1 - cosine \(String(format: "%.1e", loss))")
        }
        for (name, loss) in losses { XCTAssertLessThan(loss, 1e-4, name) }
    }

    /// The whole slide pipeline (fixture teacher, then the fixture slide encoder) with both
    /// models int8 against both in f32: `slide_embed` and every other slide output.
    func testSlideEmbedding() throws {
        let tileDict = try Fixtures.load("tile_teacher/model.safetensors")
        let tileConfig = try VisionTransformerTests.configJSON("tile_teacher")
        let slideFile = try SlideEncoder.checkpointFile(Fixtures.path("slide_encoder"))
        let slideDict = try Checkpoint.open(path: slideFile).stateDict
        let slideConfig = try SlideEncoder.load(path: slideFile).config
        func outputs(_ weights: BundleWeights) throws -> [(name: String, values: [Float])] {
            let tile = try VisionTransformer(weights: stored(tileDict, .tileEncoder, weights), config: tileConfig)
            let slide = try SlideEncoder(weights: stored(slideDict, .slideEncoder, weights), config: slideConfig)
            XCTAssert(slide.encoder.layers[0].ffn.fc1.kernel.hasPrefix(weights == .int8 ? "int8-" : weights.rawValue))
            XCTAssertEqual(slide.patchEmbed.proj.kernel, "f32", "the patch embedding stays f32")
            return try Self.slideOutputs(tile: tile, slideEncoder: slide)
        }
        let reference = try outputs(.f32), quantised = try outputs(.int8)
        for ((name, want), (_, got)) in zip(reference, quantised) {
            let cosine = Self.cosine(got, want)
            print("int8 slide pipeline \(name): cosine to f32 \(String(format: "%.6f", cosine))")
            XCTAssertGreaterThanOrEqual(cosine, 0.999, name)
        }
    }

    /// int8: smallest cosine >= 0.999 and every Linear (and the patch embedding) on the int8
    /// kernels; f16: >= 0.99999.
    private func assertTileEmbeddingsHold(_ weights: StateDict, _ config: VisionTransformer.Config, _ label: String,
                                          precisions: [BundleWeights] = [.int8, .f16]) throws {
        let reference = try VisionTransformer(weights: weights, config: config).forward(Self.images).embedding
        for precision in precisions {
            let model = try VisionTransformer(weights: stored(weights, .tileEncoder, precision), config: config)
            let kernels = Set(model.blocks.flatMap { [$0.attn.qkv, $0.attn.proj, $0.mlp.fc1, $0.mlp.fc2].map(\.kernel) })
            XCTAssertEqual(kernels.count, 1, "\(label) \(precision): \(kernels)")
            XCTAssert(kernels.first!.hasPrefix(precision == .int8 ? "int8-" : "f16"), "\(label): \(kernels)")
            XCTAssertEqual(model.patchEmbed.proj.kernel, precision == .int8 ? kernels.first! : "f32",
                           "the patch embedding is int8 in an int8 tile encoder, else f32")
            let smallest = Self.smallestCosine(try model.forward(Self.images).embedding, reference, dim: config.embedDim)
            print("\(label) \(precision): smallest cosine to f32 over \(Self.images.shape[0]) tiles \(String(format: "%.6f", smallest))")
            XCTAssertGreaterThanOrEqual(smallest, precision == .int8 ? 0.999 : 0.99999, "\(label) \(precision)")
        }
    }

    /// Every slide output of the demo slide through `tile`, then `slide` (mean pooling).
    static func slideOutputs(tile: VisionTransformer, slideEncoder: SlideEncoder) throws -> [(name: String, values: [Float])] {
        let pipeline = SlidePipeline(tileEmbedder: TileEmbedder(model: tile), slideEmbedder: SlideEmbedder(model: slideEncoder),
                                     architecture: tile.config.architecture, weightsName: "", weightsSHA256: "")
        return try pipeline.run(TileList.resolve([Self.slide])).slideEmbeddings!.named(pool: .mean)
    }

    /// The smallest cosine between matching rows of two [N, dim] embeddings.
    static func smallestCosine(_ a: Tensor, _ b: Tensor, dim: Int) -> Double {
        let x = a.floats(), y = b.floats()
        return (0..<(x.count / dim)).map { cosine(x[($0 * dim)..<(($0 + 1) * dim)], y[($0 * dim)..<(($0 + 1) * dim)]) }.min()!
    }

    private func stored(_ weights: StateDict, _ component: BundleComponent, _ precision: BundleWeights) throws -> StateDict {
        try BundleWriter(weights: precision).storedTensors(weights, of: component, path: "(in memory)")
    }

    static func cosine<C: Collection>(_ a: C, _ b: C) -> Double where C.Element == Float {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            ab += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }
}
