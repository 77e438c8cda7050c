import Foundation
import TesseraBundle
import TesseraModels
import TesseraCore
import TestSupport

/// Bundle contents for the writer tests: the fixture student (tile encoder,
/// fixtures/tile_student), the 16-head slide encoder whose input width
/// is the student's, and a seeded random teacher head 64 -> 96.
enum BundleSamples {
    static func tileEncoder() -> VisionTransformer.Config {
        VisionTransformer.Config(architecture: "vit_small_patch16_224", imageSize: 224, patchSize: 16, inChans: 3, embedDim: 64,
                                 depth: 2, heads: 2, mlpRatio: 4, mlp: .gelu, layerScale: false)
    }

    static func manifest(slide: Bool = true, head: Bool = true) -> BundleManifest {
        BundleManifest(
            tileEncoder: tileEncoder(),
            tileTransform: BundleTileTransform(resize: 256, interpolation: .bicubic, crop: 224,
                                               mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]),
            slideEncoder: slide ? BundleSlideEncoder(config: SlideEncoder.Config(inChans: 64, embedDim: 128, depth: 1, ffnDim: 512,
                                                                                 heads: 16),
                                                     pool: .mean) : nil,
            teacherHead: head ? BundleTeacherHead(inFeatures: 64, outFeatures: 96) : nil,
            outputs: [.tileEmbeds] + (slide ? [.slideEmbed] : []) + (head ? [.teacherTileEmbeds] : []),
            provenance: BundleProvenance(teacherWeightsSHA256: [UInt8](repeating: 0xAB, count: 32), distillationRunID: "test-run",
                                         metrics: [BundleMetric(name: "loss", value: 0.5)], tesseraVersion: "0.0.0-test",
                                         createdUnixSeconds: 1_700_000_000))
    }

    /// The tensors with their component prefixes.
    static func tensors(slide: Bool = true, head: Bool = true) throws -> StateDict {
        var dict = StateDict()
        func add(_ component: BundleComponent, _ source: StateDict) {
            for (name, tensor) in source.entries { dict.set(component.prefix + name, tensor) }
        }
        add(.tileEncoder, try Fixtures.load("tile_student/model.safetensors"))
        if slide { add(.slideEncoder, try Fixtures.load("slide_encoder_16h/slide_encoder.safetensors")) }
        if head {
            var rng = Xorshift(seed: 42)
            var linear = StateDict()
            linear.set("weight", Tensor(shape: [96, 64], floats: (0..<(96 * 64)).map { _ in Float.random(in: -0.2...0.2, using: &rng) }))
            linear.set("bias", Tensor(shape: [96], floats: (0..<96).map { _ in Float.random(in: -0.1...0.1, using: &rng) }))
            add(.teacherHead, linear)
        }
        return dict
    }

    /// The encoded bundle's bytes.
    static func bytes(_ bundle: EncodedBundle) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bundle.byteCount)
        bundle.write { out += $0 }
        return out
    }

    /// Writes `bytes` to `path` and opens it.
    static func reopen(_ bytes: [UInt8], at path: String) throws -> BundleReader {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try BundleReader.open(path)
    }
}
