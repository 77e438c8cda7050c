import ArgumentParser
import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline
import TesseraSlide

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed tiles with a tile encoder (the GigaPath teacher or a student).",
        discussion: """
        TILES is a slide folder (its .png tiles, in file-name order), a list of PNGs (in the \
        order given), or a whole-slide file (any format OpenSlide reads), whose tiles are the ones \
        `tessera tile` writes with the same tiling options (default: exact mode, --level 0 \
        --tile-size 256), streamed in the same order with no PNG written. Each tile is \
        preprocessed as prov-gigapath does (Resize 256 bicubic, CenterCrop 224, ImageNet \
        normalisation) and embedded; tiles stream through in batches.

        Writes `tile_embeds` f32 [N, D] and `coords` f32 [N, 2] (from `{x}x_{y}y.png` names; left \
        out when a tile is named otherwise), with the tile names, the architecture and the sha256 \
        of the weights in the metadata; from a whole-slide file also the tiles' tile_level, \
        tile_size, tile_downsample and tile_mpp_x/y. --hidden-states adds every block's output `blocks.{i}` \
        [N, tokens, D] (large: tokens x depth times the embeddings; spooled to disk, not memory).

        A tile that cannot be read is reported by name and skipped; --strict makes it fatal.

        --slide-encoder also runs the slide encoder on the embedded tiles and adds its outputs \
        (layer_{i}_embed, last_layer_embed, encoder_out_embed, global_pool_embed, slide_embed), as \
        `tessera slide` would on the tile file. From a whole-slide file its grid cell is one tile \
        (--tile-size x the level's downsample, level-0 pixels); for PNG tiles --tile-size sets it. \
        A fine-tuned run as --slide-encoder (its config.json has a classifier section) adds the \
        classifier's logits and probabilities [classes] and prints the top three classes on stdout.

        TILES may also be a DATASET: a folder of slides (slide folders and whole-slide files; no \
        tiles directly inside) or a manifest (a .txt, .csv or .tsv file, one slide per line, \
        relative paths from its folder, `#` comments, a train/val column ignored). Then -o is an \
        output folder and each slide gets OUT/<slide name>.safetensors, the file this command \
        writes for that slide alone plus the stamp `tessera.dataset.input` (slide, models, \
        options); a slide whose output records the same stamp is skipped, so a rerun resumes. A \
        slide that fails is reported by name and the others go on (exit status 1); \
        OUT/summary.json says what became of each slide, merged across the runs that share OUT. \
        --shard K/N (0-based K) takes slide i of the dataset only when i mod N = K: one job of a \
        job array (formats/dataset.md).

        Example:
          tessera embed slides/demo_slide --tile-encoder hf/prov-gigapath -o demo.tiles.safetensors
          tessera embed slides/demo_slide --tile-encoder hf/prov-gigapath --precision bf16 -o demo.bf16.safetensors
          tessera embed a.png b.png --tile-encoder student.safetensors --arch vit_small_patch16_224 -o ab.safetensors
          tessera embed slides/demo_slide --tile-encoder hf/prov-gigapath --slide-encoder slide_encoder.pth -o demo.safetensors
          tessera embed slides/a.svs --level 1 --tile-encoder hf/prov-gigapath --slide-encoder slide_encoder.pth -o a.safetensors
          tessera embed cohort/ --tile-encoder hf/prov-gigapath --slide-encoder slide_encoder.pth -o embeddings/ --shard $SLURM_ARRAY_TASK_ID/8
        """)

    @Argument(help: "A slide folder of .png tiles, PNG files, a whole-slide file, or a DATASET (a folder of slides or a .txt/.csv/.tsv manifest).")
    var tiles: [String]

    @Option(name: .customLong("tile-encoder"), help: "A Hugging Face timm directory or a weights file.")
    var tileEncoder: String

    @Option(name: .shortAndLong, help: "Output .safetensors file (written atomically); with a DATASET, the output folder.")
    var output: String

    @Option(help: "Architecture preset for a bare weights file (gigapath, vit_small_patch16_224, vit_base_patch16_224, vit_large_patch16_224, vit_giant_patch14_dinov2).")
    var arch: String?

    @Option(parsing: .unconditional, help: "Tiles per batch.")
    var batch = 8

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var precision: PrecisionOption

    @Flag(name: .customLong("hidden-states"), help: "Also write every block's output for every tile.")
    var hiddenStates = false

    @Flag(help: "Stop at the first tile that cannot be read (no output is written).")
    var strict = false

    @Option(name: .customLong("slide-encoder"),
            help: "Also run this slide encoder (checkpoint or its directory) on the tile embeddings and add its outputs (see `tessera slide --help`).")
    var slideEncoder: String?

    @OptionGroup(title: "Slide encoder options (with --slide-encoder)") var slide: SlideOptions

    @OptionGroup(title: "Tiling (a whole-slide file; see `tessera tile --help`)") var tiling: TilingArguments

    @OptionGroup var shard: ShardOption

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if shard.shard != nil {
            guard dataset else { throw ValidationError("--shard applies to a DATASET (a folder of slides or a manifest)") }
        }
        if !dataset, !wholeSlide, let option = tiling.slideOnly.first {
            throw ValidationError("\(option) applies to a whole-slide file; TILES are PNG tiles")
        }
    }

    /// One argument that is a whole-slide file rather than PNG tiles.
    var wholeSlide: Bool { tiles.count == 1 && WholeSlideTiles.names(tiles[0]) && !dataset }

    /// One argument that is a folder of slides or a manifest (`SlideDataset.isDataset`).
    var dataset: Bool { tiles.count == 1 && SlideDataset.isDataset(tiles[0], isWholeSlideFile: WholeSlideFileName.matches) }

    /// The models of the run, loaded once whatever the number of slides.
    struct Models {
        let tileEncoder: VisionTransformer.Loaded
        let slideEncoder: SlideEncoder.Loaded?
    }

    func run() throws {
        if dataset { return try runDataset() }
        let inputs = wholeSlide ? [InputOutputOverlap.Input("slide", tiles[0])] : try TileList.resolve(tiles).paths.map { InputOutputOverlap.Input("tile", $0) }
        // Before any work: a bad -o fails at once.
        try OutputPath.check(output, option: "-o", inputs: inputs + modelInputs)
        threads.apply()
        try embed(tiles, models: try loadModels(), to: output)
    }

    /// The model files, which no output may replace.
    var modelInputs: [InputOutputOverlap.Input] {
        [.init("--tile-encoder", tileEncoder)] + (slideEncoder.map { [.init("--slide-encoder", $0)] } ?? [])
    }

    func loadModels() throws -> Models {
        Models(tileEncoder: try VisionTransformer.load(path: tileEncoder, architecture: arch, precision: precision.precision),
               slideEncoder: try slideEncoder.map { try SlideEncoder.loaded(path: $0, heads: slide.heads, precision: precision.precision) })
    }

    /// One slide (a slide folder, PNG files or a whole-slide file) into `output`, `metadata` added
    /// to the pipeline's: the single-slide command, and each slide of a dataset.
    func embed(_ arguments: [String], models: Models, to output: String, metadata: [String: String] = [:]) throws {
        let started = Date()
        let pngs = arguments.count == 1 && WholeSlideTiles.names(arguments[0]) ? nil : try TileList.resolve(arguments)
        let source: any TileSource
        if let pngs { source = pngs } else { source = try WholeSlideTiles.selecting(arguments[0], tiling) }
        let loaded = models.tileEncoder
        let config = loaded.model.config
        let pipeline = SlidePipeline(
            tileEmbedder: TileEmbedder(model: loaded.model, batchSize: batch, strict: strict),
            slideEmbedder: models.slideEncoder.map { slide.embedder(for: $0.model, tileSize: pngs == nil ? nil : tiling.tileSize.map(Double.init)) },
            classifier: models.slideEncoder?.classifier,
            architecture: config.architecture, weightsName: TileList.fileName(loaded.weightsPath),
            weightsSHA256: loaded.weightsSHA256)
        let spool = hiddenStates ? try HiddenStateSpool(folder: URL(fileURLWithPath: output).deletingLastPathComponent().path,
                                                        depth: config.depth, tokens: config.tokens, dim: config.embedDim) : nil
        var report = PipelineReport()
        var result: SlidePipeline.Output
        do {
            defer { report.finish() }  // also when the run fails: the error starts on a line of its own
            result = try pipeline.run(source, hiddenStates: spool) { report.show($0) }
        }
        if let slideModel = pipeline.slideEmbedder {
            Self.report(SlideOptions.summary(result.slideEmbeddings!.slideEmbed(pool: slideModel.pool), pool: slideModel.pool))
        }
        for (key, value) in metadata { result.stateDict.metadata[key] = value }
        if precision.precision != .f32 { result.stateDict.metadata["precision"] = precision.precision.rawValue }
        try SafeTensors.write(result.stateDict, to: output)
        if let prediction = result.prediction { print(arguments.joined(separator: " ") + ": " + prediction.summary) }
        let seconds = Date().timeIntervalSince(started)
        Self.report(String(format: "embedded %d tiles (%d skipped) with %@ (D=%d) in %.2f s -> %@",
                           result.embedded, result.skipped, config.architecture, config.embedDim, seconds, output))
    }

    static func report(_ line: String) {
        FileHandle.standardError.write(text: line + "\n")
    }
}
