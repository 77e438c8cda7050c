import ArgumentParser
import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels

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

    @Option(help: "Tiles per batch.")
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
        guard batch > 0 else { throw ValidationError("--batch must be at least 1") }
    }

    func run() throws {
        try OutputPath.checkWritable(output)  // before the model runs: a bad -o fails at once
        threads.apply()
        let started = Date()
        let list = try TileList.resolve(tiles)
        let loaded = try VisionTransformer.load(path: tileEncoder, architecture: arch)
        let slideModel = try slideEncoder.map(slide.load)
        let config = loaded.model.config
        let spool = hiddenStates ? try HiddenStateSpool(folder: URL(fileURLWithPath: output).deletingLastPathComponent().path,
                                                        depth: config.depth, tokens: config.tokens, dim: config.embedDim) : nil
        var progress = ProgressLine("embed", total: list.paths.count, unit: "tiles")
        let embedder = TileEmbedder(model: loaded.model, batchSize: batch, strict: strict)
        let result: TileEmbedder.Result
        do {
            defer { progress.finish() }  // also when embedding fails: the error starts on a line of its own
            result = try embedder.embed(list.paths, hiddenStates: spool.map { s in { try s.append(block: $0, count: $1, $2) } }) { event in
                switch event {
                case .progress(let done, _): progress.update(done)
                case .skipped(let path, let error): Self.report("skipped \(path): \(error)")
                }
            }
        }
        guard !result.paths.isEmpty else { throw ValidationError("none of the \(list.paths.count) tiles could be read") }
        let states = try spool?.tensors(tokens: config.tokens, dim: config.embedDim) ?? []
        var dict = try result.stateDict(architecture: config.architecture, weightsPath: loaded.weightsPath,
                                        weightsSHA256: try SHA256.hex(ofFile: loaded.weightsPath), hiddenStates: states)
        if let slideModel {
            guard let coords = dict["coords"] else {
                throw ValidationError("--slide-encoder needs the tile coordinates: name every tile {x}x_{y}y.png")
            }
            try slide.run(slideModel, tileEmbeds: result.tileEmbeds, coords: coords,
                          names: result.paths.map { URL(fileURLWithPath: $0).lastPathComponent }, into: &dict)
        }
        try SafeTensors.write(dict, to: output)
        let seconds = Date().timeIntervalSince(started)
        Self.report(String(format: "embedded %d tiles (%d skipped) with %@ (D=%d) in %.2f s -> %@",
                           result.paths.count, result.skipped.count, config.architecture, config.embedDim, seconds, output))
    }

    static func report(_ line: String) {
        FileHandle.standardError.write(text: line + "\n")
    }
}
