import TesseraCore
@testable import TesseraBundle
import TesseraEdge
import TesseraEdgeModels
import TesseraImage
import TesseraModels

/// A structure-aware mutator of what a bundle means (issue 23): valid, runnable seeds (a tiny
/// tile encoder, slide encoder, teacher-space head and fine-tuned classifier; Linear weights f32,
/// f16 or int8) whose
/// configuration fields and tensor values are set to extreme values, then every checksum
/// recomputed and the layout redone (`BundleWriter.assemble`), so that each mutant passes the
/// format's checks and reaches the checks of meaning, the models' and the engine's last line.
/// Driven by bytes (`Choices`): libFuzzer's input in scripts/fuzz's bundle-meaning harness,
/// seeded random bytes in `BundleMutatorTests`. Shared by both (not built by SwiftPM twice).
struct BundleMutator {
    /// A seed: its manifest (offsets and checksums as written) and each tensor's stored bytes.
    let seeds: [(manifest: BundleManifest, sections: [Tensor])]

    init() {
        seeds = [BundleWeights.f32, .f16, .int8].map(Self.seed)
    }

    /// What one mutant did in the engine.
    enum Outcome {
        /// Opening or running it failed with the engine's own error (its description).
        case refused(String)
        /// It ran, and every output value is finite.
        case finite
        /// It ran and wrote a NaN or infinity: the failure this mutator looks for.
        case nonFinite(String)
    }

    /// The bundle at `path` as `tessera-edge run` takes it: opened, then `tiles` through the pipeline.
    static func run(path: String, tiles: NoiseTiles) -> Outcome {
        let output: [(name: String, tensor: Tensor)]
        do {
            output = try EdgeEngine(path: path).run(tiles).stateDict.entries
        } catch {
            return .refused(error.description)
        }
        for (name, tensor) in output where tensor.dtype.isFloatingPoint {
            if let i = tensor.float32().withFloats({ $0.firstIndex { !$0.isFinite } }) {
                return .nonFinite("\(name)[\(i)] is \(tensor.scalar(at: i))")
            }
        }
        return .finite
    }

    /// The bundle file's bytes that `input` chooses.
    func mutant(_ input: [UInt8]) -> [UInt8] {
        var choices = Choices(input)
        let seed = seeds[choices.pick(seeds.count)]
        var manifest = seed.manifest
        var sections = seed.sections
        for _ in 0...choices.pick(3) {
            if choices.pick(2) == 0 {
                Self.mutateField(&manifest, &choices)
            } else {
                let i = choices.pick(sections.count)
                sections[i] = Self.mutated(sections[i], &choices)
                manifest.tensors[i].sha256 = SHA256.digest(sections[i].bytes)
            }
        }
        var file: [UInt8] = []
        BundleWriter.assemble(manifest, sections: sections).write { file += $0 }
        return file
    }

    /// Decisions read from bytes, 0 once they run out (so every input, even empty, is a mutant).
    struct Choices {
        private let bytes: [UInt8]
        private var next = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        /// A number in 0..<count (count <= 256).
        mutating func pick(_ count: Int) -> Int {
            guard next < bytes.count, count > 1 else { return 0 }
            defer { next += 1 }
            return Int(bytes[next]) % count
        }

        mutating func element<T>(_ values: [T]) -> T { values[pick(values.count)] }
    }

    /// Sizes around every bound the checks have (the proto fields are uint32).
    static let integers: [Int] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 36, 64, 255, 256, 1000, 65535,
                                  1 << 20, (1 << 20) + 1, Int(Int32.max), Int(UInt32.max)]
    /// Floats at and beyond every bound: denormals, F16's largest, the largest finite, NaN.
    static let floats: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1.2e-38, 1e-6, 1 / 255, 0.0039, 0.5, 1, 1.0001, -1, 2, 255, 515.8,
                                  65504, 65505, 1e10, 3e38, -3e38, .greatestFiniteMagnitude, .infinity, -.infinity, .nan]

    /// One configuration field set to an extreme value, or to a neighbour of its own.
    private static func mutateField(_ m: inout BundleManifest, _ c: inout Choices) {
        func size(_ current: Int) -> Int {
            let value = c.pick(4) == 0 ? c.element([current - 1, current + 1, current * 2, current / 2]) : c.element(integers)
            return min(max(value, 0), Int(UInt32.max))
        }
        let float = c.element(floats)
        let channel = c.pick(3)
        switch c.pick(23) {
        case 0: m.tileEncoder.imageSize = size(m.tileEncoder.imageSize)
        case 1: m.tileEncoder.patchSize = size(m.tileEncoder.patchSize)
        case 2: m.tileEncoder.inChans = size(m.tileEncoder.inChans)
        case 3: m.tileEncoder.embedDim = size(m.tileEncoder.embedDim)
        case 4: m.tileEncoder.depth = size(m.tileEncoder.depth)
        case 5: m.tileEncoder.heads = size(m.tileEncoder.heads)
        case 6: m.tileEncoder.mlpHidden = size(m.tileEncoder.mlpHidden)
        case 7: m.tileEncoder.mlp = m.tileEncoder.mlp == .gelu ? .swiGLUPacked : .gelu
        case 8: m.tileEncoder.layerScale.toggle()
        case 9: m.tileEncoder.layerNormEps = float
        case 10: m.tileTransform.resize = size(m.tileTransform.resize)
        case 11: m.tileTransform.crop = size(m.tileTransform.crop)
        case 12: m.tileTransform.mean[channel] = float
        case 13: m.tileTransform.std[channel] = float
        case 14...19:
            guard var slide = m.slideEncoder?.config else { return }
            switch c.pick(7) {
            case 0: slide.embedDim = size(slide.embedDim)
            case 1: slide.heads = size(slide.heads)
            case 2: slide.ffnDim = size(slide.ffnDim)
            case 3: slide.gridSize = size(slide.gridSize)
            case 4: slide.tileSize = Double(size(Int(slide.tileSize)))
            case 5: slide.branches[channel % 2].segmentLength = size(slide.branches[channel % 2].segmentLength)
            default: slide.branches[channel % 2].ratio = size(slide.branches[channel % 2].ratio)
            }
            m.slideEncoder?.config = slide
        case 20:
            guard var head = m.teacherHead else { return }
            if c.pick(2) == 0 { head.outFeatures = size(head.outFeatures) } else { head.layerNormEps = float }
            m.teacherHead = head
        default:
            guard var head = m.classifier?.head else { return }
            switch c.pick(6) {
            case 0 where !head.featLayers.isEmpty: head.featLayers[c.pick(head.featLayers.count)] = size(head.featLayers[0])
            case 1: head.featLayers = c.pick(2) == 0 ? [] : head.featLayers + [size(1)]
            case 2: head.pooling = head.pooling == .cls ? .mean : .cls
            case 3: head.setting = c.element(SlideClassifier.Setting.allCases)
            case 4: head.classes = c.pick(2) == 0 ? Array(head.classes.dropLast()) : head.classes + [c.element(["", "a", "ü"])]
            default: head.classes[c.pick(head.classes.count)] = c.element(["", String(repeating: "x", count: 70_000)])
            }
            m.classifier?.head = head
        }
    }

    /// A copy of `stored` with one element, or all of them, set to an extreme of its dtype.
    private static func mutated(_ stored: Tensor, _ c: inout Choices) -> Tensor {
        let copy = Tensor(zeros: [stored.bytes.count], dtype: .u8)
        copy.storage.mutableBytes.copyMemory(from: stored.bytes)
        let bytes = copy.storage.mutableBytes
        let whole = c.pick(4) == 0
        switch stored.dtype {
        case .f32:
            let values = bytes.bindMemory(to: Float.self), value = c.element(floats)
            if whole { values.update(repeating: value) } else { values[c.pick(256) % values.count] = value }
        case .f16:
            // Infinity, minus infinity, NaN, the largest finite, the smallest denormal, one.
            let values = bytes.bindMemory(to: UInt16.self), value = c.element([0x7C00, 0xFC00, 0x7E00, 0x7BFF, 0xFBFF, 0x0001, 0x3C00] as [UInt16])
            if whole { values.update(repeating: value) } else { values[c.pick(256) % values.count] = value }
        default:
            let values = bytes.bindMemory(to: Int8.self), value = c.element([-128, 127, -127, 0, 1] as [Int8])
            if whole { values.update(repeating: value) } else { values[c.pick(256) % values.count] = value }
        }
        return Tensor(dtype: stored.dtype, shape: stored.shape, storage: copy.storage)
    }

    /// A runnable bundle of every component, its Linear weights stored as `weights` says, its
    /// values seeded in [-0.5, 0.5).
    private static func seed(_ weights: BundleWeights) -> (manifest: BundleManifest, sections: [Tensor]) {
        let tile = VisionTransformer.Config(architecture: "vit_fuzz", imageSize: 32, patchSize: 16, inChans: 3,
                                            embedDim: 8, depth: 1, heads: 2)
        let slide = SlideEncoder.Config(inChans: 8, embedDim: 8, depth: 1, ffnDim: 16, heads: 2,
                                        branches: [.init(segmentLength: 4, ratio: 1), .init(segmentLength: 8, ratio: 2)],
                                        gridSize: 1000, tileSize: 256)
        let classifier = BundleClassifier(head: .init(featLayers: [0, 1], pooling: .cls, setting: .multiClass, classes: ["a", "b", "c"]))
        let manifest = BundleManifest(
            tileEncoder: tile, tileTransform: BundleTileTransform(TilePreprocessor(resize: 36, crop: 32)),
            slideEncoder: BundleSlideEncoder(config: slide, pool: .mean),
            teacherHead: BundleTeacherHead(inFeatures: 8, outFeatures: 12, input: .lastHiddenCLS, layerNormEps: 1e-5),
            classifier: classifier,
            outputs: [.tileEmbeds, .slideEmbed, .teacherTileEmbeds, .logits, .probabilities],
            provenance: BundleProvenance(tesseraVersion: "fuzz", createdUnixSeconds: 0))
        let head = WeightScope.parameterShapes { _ = TeacherSpaceHead($0, inFeatures: 8, outFeatures: 12, normEps: 1e-5) }
        var state: UInt64 = 0x5EED
        var tensors = StateDict()
        for (component, shapes) in [(BundleComponent.tileEncoder, tile.parameterShapes), (.slideEncoder, slide.parameterShapes),
                                    (.teacherHead, head)] {
            for (name, shape) in shapes {
                let values = (0..<shape.reduce(1, *)).map { _ in
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    return Float(state >> 40) / Float(1 << 24) - 0.5
                }
                tensors.set(component.prefix + name, Tensor(shape: shape, floats: values))
            }
        }
        for (name, shape) in classifier.tensorShapes(embedDim: slide.embedDim) {
            tensors.set(name, Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { Float($0 % 7) / 7 - 0.5 }))
        }
        do {
            let bundle = try BundleWriter(weights: weights).encode(manifest, tensors: tensors, path: "seed.tsb")
            return (bundle.manifest, bundle.sections)
        } catch {
            fatalError("the mutator's seed is refused: \(error)")
        }
    }
}
