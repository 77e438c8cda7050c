import TesseraCore
import TesseraImage
import TesseraIO
import TesseraModels

/// A slide folder (or a list of tiles) to its output file: tiles → batches → `tile_embeds`
/// (bad tiles reported and skipped) → coordinates from the tile names → the slide encoder,
/// when there is one → the named tensors `tessera embed` writes. The CLI and the edge
/// engine both run this; they only parse options, call and report.
public struct SlideFolderPipeline {
    public var tileEmbedder: TileEmbedder
    public var slideEmbedder: SlideEmbedder?
    /// What identifies the tile encoder in the output's metadata.
    public var architecture: String
    public var weightsName: String
    public var weightsSHA256: String

    public init(tileEmbedder: TileEmbedder, slideEmbedder: SlideEmbedder? = nil,
                architecture: String, weightsName: String, weightsSHA256: String) {
        self.tileEmbedder = tileEmbedder
        self.slideEmbedder = slideEmbedder
        self.architecture = architecture
        self.weightsName = weightsName
        self.weightsSHA256 = weightsSHA256
    }

    public enum Event {
        /// `done` of `total` tiles handled (embedded or skipped).
        case tiles(done: Int, total: Int)
        /// A tile that could not be read; it has no row in the output.
        case skipped(path: String, error: ImageDecodingError)
        /// `done` of `total` slide-encoder layers run.
        case layers(done: Int, total: Int)
        case warning(String)
    }

    /// What a run produced: the output tensors and metadata, and the counts for a summary.
    public struct Output {
        public var stateDict: StateDict
        public var embedded: Int
        public var skipped: Int
        public var slideEmbeddings: SlideEmbeddings?
    }

    /// The output holds `tile_embeds` f32 [N, D] (rows in tile order); `coords` f32 [N, 2] (x, y
    /// from `{x}x_{y}y.png`; left out, with a warning naming the tile, when a kept tile is named
    /// otherwise); `blocks.{i}` [N, tokens, D] when `hiddenStates` spools them; every slide output
    /// (`SlideEmbeddings.named`) with a slide encoder; and in `__metadata__` `tile_names` and
    /// `skipped_tiles` (JSON lists of file names), `architecture`, `weights`, `weights_sha256`.
    public func run(_ tiles: TileList, hiddenStates spool: (any HiddenStateSink)? = nil,
                    onEvent: (Event) -> Void = { _ in }) throws(PipelineError) -> Output {
        let c = tileEmbedder.model.config
        onEvent(.tiles(done: 0, total: tiles.paths.count))
        let result = try tileEmbedder.embed(tiles.paths, hiddenStates: spool) {
            switch $0 {
            case .progress(let done, let total): onEvent(.tiles(done: done, total: total))
            case .skipped(let path, let error): onEvent(.skipped(path: path, error: error))
            }
        }
        guard !result.paths.isEmpty else { throw .noReadableTile(count: tiles.paths.count) }
        var dict = StateDict()
        dict.set("tile_embeds", result.tileEmbeds)
        let names = result.paths.map(TileList.fileName)
        let coords = try coordinates(names, required: slideEmbedder != nil, onEvent: onEvent)
        if let coords { dict.set("coords", coords) }
        for (i, state) in try (spool?.tensors(tokens: c.tokens, dim: c.embedDim) ?? []).enumerated() {
            dict.set("blocks.\(i)", state)
        }
        var slide: SlideEmbeddings?
        if let slideEmbedder, let coords {
            do {
                slide = try slideEmbedder.embed(tileEmbeds: result.tileEmbeds, coords: coords, names: names) {
                    switch $0 {
                    case .layers(let done, let total): onEvent(.layers(done: done, total: total))
                    case .warning(let text): onEvent(.warning(text))
                    }
                }
            } catch {
                throw .slide(error)
            }
            slide?.add(to: &dict, pool: slideEmbedder.pool)
        }
        dict.metadata = [
            "tile_names": JSONValue.array(names.map { .string($0) }).serialized(),
            "skipped_tiles": JSONValue.array(result.skipped.map { .string(TileList.fileName($0.path)) }).serialized(),
            "architecture": architecture,
            "weights": weightsName,
            "weights_sha256": weightsSHA256,
        ]
        return Output(stateDict: dict, embedded: result.paths.count, skipped: result.skipped.count, slideEmbeddings: slide)
    }

    /// coords [N, 2] from the tile names; nil (after a warning per unnamed tile) when one does not
    /// parse, an error instead when the coordinates are `required`.
    private func coordinates(_ names: [String], required: Bool, onEvent: (Event) -> Void) throws(PipelineError) -> Tensor? {
        var values: [Float] = []
        values.reserveCapacity(2 * names.count)
        var unnamed: [String] = []
        for name in names {
            guard let (x, y) = SlideGrid.coordinates(ofTileNamed: name) else {
                unnamed.append(name)
                continue
            }
            values += [Float(x), Float(y)]
        }
        guard unnamed.isEmpty else {
            if required { throw .noCoordinates(tile: unnamed[0]) }
            for name in unnamed.prefix(5) { onEvent(.warning("\(name): no {x}x_{y}y coordinates in the name; coords left out")) }
            if unnamed.count > 5 { onEvent(.warning("\(unnamed.count) tiles have no coordinates in their names")) }
            return nil
        }
        return Tensor(shape: [names.count, 2], floats: values)
    }
}
