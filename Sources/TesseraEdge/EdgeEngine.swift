import CPosix
import TesseraBundle
import TesseraCore
import TesseraEdgeModels
import TesseraImage
import TesseraIO
import TesseraModels
import TesseraPipeline

/// A bundle opened for inference: the reader's checks passed, every tensor verified and the
/// models built. It runs the slide-folder pipeline as `tessera embed --slide-encoder` does
/// (same output names and metadata) with the bundle's tile transform, and adds
/// `teacher_tile_embeds` when the bundle has a teacher-space head, `logits` and `probabilities`
/// when it has a classifier.
public final class EdgeEngine: @unchecked Sendable {
    public let path: String
    /// The header's format version.
    public let version: UInt32
    public let manifest: BundleManifest
    public let models: EdgeModels
    /// The bundle's tile transform.
    public let preprocessor: TilePreprocessor
    /// SHA-256 of the bundle file (hex) as mapped, the bytes that run: the outputs'
    /// `weights_sha256`. Hashing the path again could name another file (`tessera export -o`
    /// replaces a bundle by renaming a new file over it while the old one stays mapped).
    public let sha256: String
    /// Tiles per batch of the tile encoder.
    public var batchSize = 8
    /// The classifier's class names and setting as C strings for the C interface, made once
    /// (empty and nil without a classifier); freed with the engine.
    let classNames: [UnsafeMutablePointer<CChar>]
    let classSetting: UnsafeMutablePointer<CChar>?

    /// Opens, checks and loads the bundle at `path`.
    public init(path: String) throws(EdgeError) {
        let reader: BundleReader
        do { reader = try BundleReader.open(path) } catch { throw .bundle(error) }
        let models = try EdgeModels(reader)
        guard let preprocessor = reader.manifest.tileTransform.preprocessor else {
            throw .model(path: path, model: "tile transform",
                         reason: "\(reader.manifest.tileTransform.mean.count) input channels; tiles are RGB (3)")
        }
        sha256 = reader.fileSHA256
        self.path = path
        version = reader.version
        manifest = reader.manifest
        self.models = models
        self.preprocessor = preprocessor
        let head = manifest.outputs.contains(.logits) ? models.classifier?.head : nil
        classNames = (head?.classes ?? []).map { strdup($0)! }
        classSetting = head.map { strdup($0.setting.rawValue)! }
    }

    deinit {
        for name in classNames { free(name) }
        free(classSetting)
    }

    /// The slide encoder runs when the bundle names `slide_embed` among its outputs.
    var slideEmbedder: SlideEmbedder? {
        guard manifest.outputs.contains(.slideEmbed), let model = models.slideEncoder, let slide = manifest.slideEncoder
        else { return nil }
        return SlideEmbedder(model: model, pool: slide.pool)
    }

    /// The classifier runs after the slide encoder when the bundle names `logits` among its outputs.
    var classifier: SlideClassifier? {
        manifest.outputs.contains(.logits) ? models.classifier : nil
    }

    /// The tiles of the slide folder `folder` (its `.png` files in name order) through the
    /// pipeline, as `run(_:onEvent:)`.
    public func run(folder: String, onEvent: (SlidePipeline.Event) -> Void = { _ in }) throws(EdgeError)
        -> SlidePipeline.Output {
        guard TileList.isFolder(folder) else { throw .input("\(folder): not a folder of tiles") }
        let tiles: TileList
        do { tiles = try TileList.resolve([folder]) } catch { throw .input(error.description) }
        return try run(tiles, onEvent: onEvent)
    }

    /// One slide's tiles (a folder's PNGs, a whole-slide file's tiles) through the pipeline:
    /// `tile_embeds`, `coords`, the slide outputs, `teacher_tile_embeds` when the bundle has a
    /// head, `logits` and `probabilities` when it has a classifier, and the metadata. Unreadable tiles are reported and skipped.
    public func run(_ tiles: any TileSource, onEvent: (SlidePipeline.Event) -> Void = { _ in }) throws(EdgeError)
        -> SlidePipeline.Output {
        let pipeline = SlidePipeline(
            tileEmbedder: TileEmbedder(model: models.tileEncoder, preprocessor: preprocessor, batchSize: batchSize),
            slideEmbedder: slideEmbedder, classifier: classifier, architecture: manifest.tileEncoder.architecture,
            weightsName: TileList.fileName(path), weightsSHA256: sha256)
        let head = manifest.outputs.contains(.teacherTileEmbeds) ? models.teacherHead : nil
        // A head on the last hidden class token runs batch by batch inside the tile encoder's pass.
        let hiddenHead = head.flatMap { head in
            manifest.teacherHead?.input == .lastHiddenCLS ? ClassTokenHead(head, tileEncoder: models.tileEncoder.config) : nil
        }
        var output: SlidePipeline.Output
        do {
            output = try pipeline.run(tiles, consumers: hiddenHead.map { [$0] } ?? [], onEvent: onEvent)
        } catch {
            throw failure(error)
        }
        if let hiddenHead {
            output.stateDict.set("teacher_tile_embeds", hiddenHead.output)
        } else if let head, let tileEmbeds = output.stateDict["tile_embeds"] {
            let rows = tileEmbeds.shape[0]
            let projected = Tensor(zeros: [rows, head.outFeatures])
            head(out: projected.mutableFloatPointer, inp: tileEmbeds.floatPointer, rows: rows)
            output.stateDict.set("teacher_tile_embeds", projected)
        }
        try checkFinite(output)
        return output
    }

    /// A pipeline's error as the engine reports it: a non-finite embedding is the bundle's fault.
    private func failure(_ error: PipelineError) -> EdgeError {
        guard case .nonFinite(let tile, _, _, let value) = error else { return .input(error.description) }
        return .nonFinite(path: path, what: "tile_embeds of \(tile) is \(value)")
    }

    /// The last line of defence after the tile encoder's own (`TileEmbedder`): the head's rows
    /// and the slide encoder's outputs, computed from finite embeddings, may still overflow.
    /// Refused naming the output and the tile (or element): no NaN is written silently.
    private func checkFinite(_ output: SlidePipeline.Output) throws(EdgeError) {
        for (name, tensor) in output.stateDict.entries where tensor.dtype == .f32 {
            guard let i = tensor.withFloats({ $0.firstIndex { !$0.isFinite } }) else { continue }
            let width = max(tensor.shape.last ?? 1, 1)
            let perTile = ["tile_embeds", "teacher_tile_embeds"].contains(name) && i / width < output.tileNames.count
            let place = perTile ? output.tileNames[i / width] : "element \(i)"
            throw .nonFinite(path: path, what: "\(name) of \(place) is \(tensor.scalar(at: i))")
        }
    }

    /// Writes `output` as safetensors at `path`, atomically.
    public func write(_ output: SlidePipeline.Output, to path: String) throws(EdgeError) {
        do { try SafeTensors.write(output.stateDict, to: path) } catch { throw .output(path: path, reason: error.description) }
    }

    /// Embeds `count` RGB tiles held in memory, each `width` x `height` pixels of interleaved
    /// R, G, B bytes (rows top to bottom), packed one after another at `rgb`, through the
    /// bundle's tile transform and the tile encoder: `embeddings` gets [count, D] floats.
    public func embed(rgb: UnsafePointer<UInt8>, count: Int, width: Int, height: Int,
                      into embeddings: UnsafeMutablePointer<Float>) throws(EdgeError) {
        guard count >= 0, width > 0, height > 0, width <= 1 << 16, height <= 1 << 16 else {
            throw .input("\(count) tiles of \(width) x \(height) pixels: expected a positive size of at most 65536")
        }
        let tiles = RGBTileBuffer(rgb: rgb, count: count, width: width, height: height)
        let embedder = TileEmbedder(model: models.tileEncoder, preprocessor: preprocessor, batchSize: batchSize, strict: true)
        do {
            try embedder.embed(tiles).tileEmbeds.withFloats { embeddings.update(from: $0.baseAddress!, count: $0.count) }
        } catch {
            throw failure(error)
        }
    }
}
