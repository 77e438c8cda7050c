import ArgumentParser
import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed tiles with a tile encoder (the GigaPath teacher or a student).",
        discussion: """
        TILES is a slide folder (its .png tiles, in file-name order) or a list of PNGs (in the \
        order given). Each tile is preprocessed as prov-gigapath does (Resize 256 bicubic, \
        CenterCrop 224, ImageNet normalisation) and embedded; tiles stream through in batches.

        Writes `tile_embeds` f32 [N, D] and `coords` f32 [N, 2] (from `{x}x_{y}y.png` names; left \
        out when a tile is named otherwise), with the tile names, the architecture and the sha256 \
        of the weights in the metadata. --hidden-states adds every block's output `blocks.{i}` \
        [N, tokens, D] (large: tokens x depth times the embeddings; spooled to disk, not memory).

        A tile that cannot be read is reported by name and skipped; --strict makes it fatal.

        --slide-encoder also runs the slide encoder on the embedded tiles and adds its outputs \
        (layer_{i}_embed, last_layer_embed, encoder_out_embed, global_pool_embed, slide_embed), as \
        `tessera slide` would on the tile file.

        Example:
          tessera embed slides/demo_slide --tile-encoder hf/prov-gigapath -o demo.tiles.safetensors
          tessera embed a.png b.png --tile-encoder student.safetensors --arch vit_small_patch16_224 -o ab.safetensors
          tessera embed slides/demo_slide --tile-encoder hf/prov-gigapath --slide-encoder slide_encoder.pth -o demo.safetensors
        """)

    @Argument(help: "A slide folder of .png tiles, or PNG files.")
    var tiles: [String]

    @Option(name: .customLong("tile-encoder"), help: "A Hugging Face timm directory or a weights file.")
    var tileEncoder: String

    @Option(name: .shortAndLong, help: "Output .safetensors file (written atomically).")
    var output: String

    @Option(help: "Architecture preset for a bare weights file (gigapath, vit_small_patch16_224, vit_base_patch16_224, vit_large_patch16_224, vit_giant_patch14_dinov2).")
    var arch: String?

    @Option(parsing: .unconditional, help: "Tiles per batch.")
    var batch = 8

    @OptionGroup var threads: ThreadsOption

    @Flag(name: .customLong("hidden-states"), help: "Also write every block's output for every tile.")
    var hiddenStates = false

    @Flag(help: "Stop at the first tile that cannot be read (no output is written).")
    var strict = false

    @Option(name: .customLong("slide-encoder"),
            help: "Also run this slide encoder (checkpoint or its directory) on the tile embeddings and add its outputs (see `tessera slide --help`).")
    var slideEncoder: String?

    @OptionGroup(title: "Slide encoder options (with --slide-encoder)") var slide: SlideOptions

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be at least 1, got \(batch)") }
    }

    func run() throws {
        let list = try TileList.resolve(tiles)
        // Before the model runs: a bad -o fails at once.
        try OutputPath.check(output, option: "-o", inputs: list.paths.map { .init("tile", $0) } + [.init("--tile-encoder", tileEncoder)]
                                                           + (slideEncoder.map { [.init("--slide-encoder", $0)] } ?? []))
        threads.apply()
        let started = Date()
        let loaded = try VisionTransformer.load(path: tileEncoder, architecture: arch)
        let config = loaded.model.config
        let pipeline = SlidePipeline(
            tileEmbedder: TileEmbedder(model: loaded.model, batchSize: batch, strict: strict),
            slideEmbedder: try slideEncoder.map { try slide.embedder(for: slide.load($0)) },
            architecture: config.architecture, weightsName: TileList.fileName(loaded.weightsPath),
            weightsSHA256: try SHA256.hex(ofFile: loaded.weightsPath))
        let spool = hiddenStates ? try HiddenStateSpool(folder: URL(fileURLWithPath: output).deletingLastPathComponent().path,
                                                        depth: config.depth, tokens: config.tokens, dim: config.embedDim) : nil
        var report = PipelineReport()
        let result: SlidePipeline.Output
        do {
            defer { report.finish() }  // also when the run fails: the error starts on a line of its own
            result = try pipeline.run(list, hiddenStates: spool) { report.show($0) }
        }
        if let slideModel = pipeline.slideEmbedder {
            Self.report(SlideOptions.summary(result.slideEmbeddings!.slideEmbed(pool: slideModel.pool), pool: slideModel.pool))
        }
        try SafeTensors.write(result.stateDict, to: output)
        let seconds = Date().timeIntervalSince(started)
        Self.report(String(format: "embedded %d tiles (%d skipped) with %@ (D=%d) in %.2f s -> %@",
                           result.embedded, result.skipped, config.architecture, config.embedDim, seconds, output))
    }

    static func report(_ line: String) {
        FileHandle.standardError.write(text: line + "\n")
    }
}
