import TesseraCore
import TesseraImage
import TesseraIO
import TesseraModels

/// One slide's tiles (any `TileSource`: a slide folder, a list of PNGs) to its output file:
/// tiles → the tile-encoder run → `tile_embeds` (bad tiles reported and skipped) → the tiles'
/// level-0 positions → the slide encoder, when there is one → the named tensors `tessera
/// embed` writes. The CLI and the edge engine both run this; they only parse options, call
/// and report.
public struct SlidePipeline {
    public var tileEmbedder: TileEmbedder
    public var slideEmbedder: SlideEmbedder?
    /// A fine-tuned classifier after the slide encoder: `logits` and `probabilities` (`SlidePrediction`).
    public var classifier: SlideClassifier?
    /// What identifies the tile encoder in the output's metadata.
    public var architecture: String
    public var weightsName: String
    public var weightsSHA256: String

    public init(tileEmbedder: TileEmbedder, slideEmbedder: SlideEmbedder? = nil, classifier: SlideClassifier? = nil,
                architecture: String, weightsName: String, weightsSHA256: String) {
        self.tileEmbedder = tileEmbedder
        self.slideEmbedder = slideEmbedder
        self.classifier = slideEmbedder == nil ? nil : classifier
        self.architecture = architecture
        self.weightsName = weightsName
        self.weightsSHA256 = weightsSHA256
    }

    public enum Event {
        /// `done` of `total` tiles handled (embedded or skipped).
        case tiles(done: Int, total: Int)
        /// A tile that could not be read (at `location`); it has no row in the output.
        case skipped(location: String, error: ImageDecodingError)
        /// `done` of `total` slide-encoder layers run.
        case layers(done: Int, total: Int)
        case warning(String)
    }

    /// What a run produced: the output tensors and metadata, and the counts for a summary.
    public struct Output {
        public var stateDict: StateDict
        /// The kept tiles' names, one per row of `tile_embeds`.
        public var tileNames: [String]
        public var embedded: Int
        /// The tiles skipped: unreadable when embedded, or left out by the source (`unreadable`).
        public var skipped: Int
        public var slideEmbeddings: SlideEmbeddings?
        /// The classifier's answer, when the pipeline has one.
        public var prediction: SlidePrediction?
    }

    /// The output holds `tile_embeds` f32 [N, D] (rows in tile order); `coords` f32 [N, 2] (the
    /// tiles' level-0 x, y; left out, with a warning naming the tile, when a kept tile has no
    /// position); `blocks.{i}` [N, tokens, D] when `hiddenStates` spools them; every slide output
    /// (`SlideEmbeddings.named`) with a slide encoder, its grid following the tiles' geometry when
    /// the source knows it; with a classifier, `logits` and `probabilities` [C] (and `classes`, a
    /// JSON list, and `setting` in the metadata) and `class_attention` [N]; and in `__metadata__` `tile_names` and `skipped_tiles` (JSON lists of
    /// tile names), `architecture`, `weights`, `weights_sha256`, and the geometry's entries.
    /// `consumers` see every batch's block outputs as well.
    public func run(_ tiles: any TileSource, hiddenStates spool: (any HiddenStateSink)? = nil,
                    consumers: [any TileBatchConsumer] = [],
                    onEvent: (Event) -> Void = { _ in }) throws(PipelineError) -> Output {
        let c = tileEmbedder.model.config
        onEvent(.tiles(done: 0, total: tiles.count))
        let result = try tileEmbedder.embed(tiles, consumers: (spool.map { [$0] } ?? []) + consumers) {
            switch $0 {
            case .progress(let done, let total): onEvent(.tiles(done: done, total: total))
            case .skipped(let location, let error): onEvent(.skipped(location: location, error: error))
            }
        }
        let kept = result.summary.kept
        guard !kept.isEmpty else { throw .noReadableTile(count: tiles.count) }
        var dict = StateDict()
        dict.set("tile_embeds", result.tileEmbeds)
        let names = kept.map { tiles.name(of: $0) }
        let coords = try coordinates(kept, of: tiles, required: slideEmbedder != nil, onEvent: onEvent)
        if let coords { dict.set("coords", coords) }
        for (i, state) in try (spool?.tensors(tokens: c.tokens, dim: c.embedDim) ?? []).enumerated() {
            dict.set("blocks.\(i)", state)
        }
        var slide: SlideEmbeddings?
        // With a classifier, the last layer's input, for where its class token looks (`class_attention`).
        let tokens = kept.count + 1, width = slideEmbedder?.model.config.embedDim ?? 0
        let lastLayerInput = classifier == nil ? nil : UnsafeMutablePointer<Float>.allocate(capacity: tokens * width)
        defer { lastLayerInput?.deallocate() }
        if let slideEmbedder = slideEmbedder?.placing(tiles.geometry), let coords {
            do {
                slide = try slideEmbedder.embed(tileEmbeds: result.tileEmbeds, coords: coords, names: names,
                                                lastLayerInput: lastLayerInput) {
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
            "skipped_tiles": JSONValue.array(result.summary.skipped.map { .string(tiles.name(of: $0.tile)) }).serialized(),
            "architecture": architecture,
            "weights": weightsName,
            "weights_sha256": weightsSHA256,
        ]
        for (key, value) in tiles.geometry?.metadata ?? [:] { dict.metadata[key] = value }
        let prediction = slide.flatMap { slide in
            classifier.map { classifier in
                SlidePrediction(classifier: classifier, embeddings: slide, classAttention: lastLayerInput.map {
                    slideEmbedder!.model.classTokenAttention(lastLayerInput: $0, tokens: tokens)
                })
            }
        }
        prediction?.add(to: &dict)
        return Output(stateDict: dict, tileNames: names, embedded: kept.count,
                      skipped: result.summary.skipped.count + tiles.unreadable, slideEmbeddings: slide, prediction: prediction)
    }

    /// The largest position `coords` (float32, as prov-gigapath writes it) holds exactly: 2^24
    /// pixels, 8 m of slide at 0.5 microns per pixel.
    static let largestExactCoordinate = 1 << 24

    /// coords [N, 2] of the `kept` tiles; nil (after a warning per tile without a position) when
    /// one has none, an error instead when the coordinates are `required`.
    private func coordinates(_ kept: [Int], of tiles: any TileSource, required: Bool,
                             onEvent: (Event) -> Void) throws(PipelineError) -> Tensor? {
        var values: [Float] = []
        values.reserveCapacity(2 * kept.count)
        var unnamed: [String] = []
        for tile in kept {
            guard let (x, y) = tiles.position(of: tile) else {
                unnamed.append(tiles.name(of: tile))
                continue
            }
            // Checked while still integers: past 2^24 a float32 `coords` would round the position
            // (99999999999 reads 99999997952), and every later message would show the rounded one.
            for (axis, value) in [("x", x), ("y", y)] where abs(value) > Self.largestExactCoordinate {
                throw .coordinateTooLarge(tile: tiles.name(of: tile), axis: axis, value: value, limit: Self.largestExactCoordinate)
            }
            values += [Float(x), Float(y)]
        }
        guard unnamed.isEmpty else {
            if required { throw .noCoordinates(tile: unnamed[0]) }
            for name in unnamed.prefix(5) { onEvent(.warning("\(name): no {x}x_{y}y coordinates in the name; coords left out")) }
            if unnamed.count > 5 { onEvent(.warning("\(unnamed.count) tiles have no coordinates in their names")) }
            return nil
        }
        return Tensor(shape: [kept.count, 2], floats: values)
    }
}
