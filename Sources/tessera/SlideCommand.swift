import ArgumentParser
import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline

/// `tessera slide`: tile embeddings + coordinates -> slide embeddings.
struct SlideCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slide",
        abstract: "Slide embedding from tile embeddings, with the Prov-GigaPath slide encoder (LongNet).",
        discussion: """
        FEATURES is a safetensors file holding `tile_embeds` [N, D] and `coords` [N, 2]
        (level-0 pixel x, y of each tile), as `tessera embed` writes it; when it records the
        tiles' geometry (tiles cut from a whole-slide file), a grid cell is one tile: tile_size x
        tile_downsample level-0 pixels, unless --tile-size is given. The output holds
        layer_{i}_embed (i = 0...L) and last_layer_embed (the prov-gigapath pipeline's
        all-layer path), encoder_out_embed (the model's default output: CLS token),
        global_pool_embed (mean of the tile tokens), and slide_embed: the one chosen by
        --pool (default mean: the CLS token was never trained in pretraining). With a fine-tuned
        run as --slide-encoder (a slide-encoder folder whose config.json has a classifier section),
        it also holds the classifier's logits and probabilities [classes] (class names and task in
        the metadata), and the top three classes are printed on stdout.

        Examples:
          tessera slide feats.safetensors --slide-encoder slide_encoder.pth -o slide.safetensors
          tessera slide feats.safetensors --slide-encoder fixtures/slide_encoder -o s.safetensors --pool cls
          tessera slide feats.safetensors --slide-encoder model/ -o s.safetensors --coord-scale 2
          tessera slide feats.safetensors --slide-encoder slide_encoder.pth --precision bf16 -o slide.bf16.safetensors
        """)

    @Argument(help: "safetensors file with tile_embeds [N, D] and coords [N, 2]")
    var features: String

    @Option(name: .customLong("slide-encoder"),
            help: "slide encoder checkpoint (.pth or .safetensors) or the directory holding it (config.json beside it is read)")
    var slideEncoder: String

    @OptionGroup var slide: SlideOptions

    @Option(name: .customLong("tile-size"), parsing: .unconditional,
            help: "level-0 pixels per position-grid cell (default: what FEATURES records of its tiles, else config.json, else 256)")
    var tileSize: Double?

    @Option(name: .shortAndLong, help: "output safetensors file (written atomically)")
    var output: String

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var precision: PrecisionOption

    func validate() throws {
        if let tileSize, !(tileSize > 0 && tileSize.isFinite) { throw ValidationError("--tile-size must be a positive number, got \(tileSize)") }
    }

    func run() throws {
        // Before the model runs: a bad -o fails at once.
        try OutputPath.check(output, option: "-o", inputs: [.init("FEATURES", features), .init("--slide-encoder", slideEncoder)])
        threads.apply()
        let input = try SafeTensors.read(path: features)
        guard let tiles = input["tile_embeds"] else { throw CLIMessage("\(features): no tensor 'tile_embeds'") }
        guard let coords = input["coords"] else { throw CLIMessage("\(features): no tensor 'coords'") }
        // `tessera embed` records the tile file names: errors and warnings then name the file.
        let names = input.tileNames.flatMap { $0.count == coords.shape.first ? $0 : nil }
        // Tiles cut from a whole-slide file record their geometry: the grid's cell is one tile.
        let loaded = try SlideEncoder.loaded(path: slideEncoder, heads: slide.heads, precision: precision.precision)
        let embedder = slide.embedder(for: loaded.model, tileSize: tileSize).placing(TileGeometry(metadata: input.metadata))
        var report = PipelineReport()
        let embeddings: SlideEmbeddings
        do {
            defer { report.finish() }
            embeddings = try embedder.embed(tileEmbeds: tiles, coords: coords, names: names) {
                switch $0 {
                case .layers(let done, let total): report.show(.layers(done: done, total: total))
                case .warning(let text): report.show(.warning(text))
                }
            }
        }
        var out = StateDict()
        embeddings.add(to: &out, pool: slide.pool)
        if precision.precision != .f32 { out.metadata["precision"] = precision.precision.rawValue }
        FileHandle.standardError.write(text: SlideOptions.summary(embeddings.slideEmbed(pool: slide.pool), pool: slide.pool) + "\n")
        // A fine-tuned run's classifier: logits and probabilities, as `tessera embed` writes them.
        let prediction = loaded.classifier.map { SlidePrediction(classifier: $0, embeddings: embeddings) }
        prediction?.add(to: &out)
        try SafeTensors.write(out, to: output)
        if let prediction { print(features + ": " + prediction.summary) }
        FileHandle.standardError.write(text: "wrote \(output)\n")
    }
}
