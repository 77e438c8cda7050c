import ArgumentParser
import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels

extension SlidePool: ExpressibleByArgument {}

/// `tessera slide`: tile embeddings + coordinates -> slide embeddings.
struct Slide: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slide",
        abstract: "Slide embedding from tile embeddings, with the Prov-GigaPath slide encoder (LongNet).",
        discussion: """
        FEATURES is a safetensors file holding `tile_embeds` [N, D] and `coords` [N, 2]
        (level-0 pixel x, y of each tile), as `tessera embed` writes it. The output holds
        layer_{i}_embed (i = 0...L) and last_layer_embed (the prov-gigapath pipeline's
        all-layer path), encoder_out_embed (the model's default output: CLS token),
        global_pool_embed (mean of the tile tokens), and slide_embed: the one chosen by
        --pool (default mean: the CLS token was never trained in pretraining).

        Examples:
          tessera slide feats.safetensors --slide-encoder slide_encoder.pth -o slide.safetensors
          tessera slide feats.safetensors --slide-encoder fixtures/slide_encoder -o s.safetensors --pool cls
          tessera slide feats.safetensors --slide-encoder model/ -o s.safetensors --coord-scale 2
        """)

    @Argument(help: "safetensors file with tile_embeds [N, D] and coords [N, 2]")
    var features: String

    @Option(name: .customLong("slide-encoder"),
            help: "slide encoder checkpoint (.pth or .safetensors) or the directory holding it (config.json beside it is read)")
    var slideEncoder: String

    @OptionGroup var slide: SlideOptions

    @Option(name: .shortAndLong, help: "output safetensors file (written atomically)")
    var output: String

    @OptionGroup var threads: ThreadsOption

    func run() throws {
        try OutputPath.checkWritable(output)  // before the model runs: a bad -o fails at once
        threads.apply()
        let input = try SafeTensors.read(path: features)
        guard let tiles = input["tile_embeds"] else { throw CLIMessage("\(features): no tensor 'tile_embeds'") }
        guard let coords = input["coords"] else { throw CLIMessage("\(features): no tensor 'coords'") }
        // `tessera embed` records the tile file names: errors and warnings then name the file.
        let names = input.metadata["tile_names"]
            .flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
            .flatMap { $0.count == coords.shape.first ? $0 : nil }
        var out = StateDict()
        try slide.run(try slide.load(slideEncoder), tileEmbeds: tiles, coords: coords, names: names, into: &out)
        try SafeTensors.write(out, to: output)
        FileHandle.standardError.write(text: "wrote \(output)\n")
    }
}

/// The slide-encoder options shared by `tessera slide` and `tessera embed --slide-encoder`.
struct SlideOptions: ParsableArguments {
    @Option(help: "which embedding becomes slide_embed: mean (global_pool_embed) or cls (encoder_out_embed)")
    var pool: SlidePool = .mean

    @Option(help: "attention heads (default: config.json, else 16 as in the real model)")
    var heads: Int?

    @Option(name: .customLong("tile-size"), help: "level-0 pixels per position-grid cell (default: config.json, else 256)")
    var tileSize: Double?

    @Option(name: .customLong("coord-scale"), help: "factor from the coordinates to level-0 pixels at 0.5 mpp")
    var coordScale: Double = 1

    func validate() throws {
        if let heads, heads < 1 { throw ValidationError("--heads must be at least 1") }
        if let tileSize, !(tileSize > 0) { throw ValidationError("--tile-size must be positive") }
        guard coordScale > 0 else { throw ValidationError("--coord-scale must be positive") }
    }

    /// The slide encoder at `path` (file or directory), with the --heads override.
    func load(_ path: String) throws -> SlideEncoder {
        try SlideEncoder.load(path: path, heads: heads)
    }

    /// Places the tiles, runs `model` with per-layer progress on stderr and adds
    /// every slide output to `dict`. `names` name the tiles in errors and warnings.
    func run(_ model: SlideEncoder, tileEmbeds: Tensor, coords: Tensor, names: [String]? = nil,
             into dict: inout StateDict) throws {
        let placement = try model.grid(tileSize: tileSize, coordScale: coordScale).place(coords: coords, names: names)
        for duplicate in placement.duplicates.prefix(5) { FileHandle.standardError.write(text: "warning: \(duplicate)\n") }
        if placement.duplicates.count > 5 {
            FileHandle.standardError.write(text: "warning: \(placement.duplicates.count) tiles share a grid cell with an earlier tile\n")
        }
        let c = model.config
        FileHandle.standardError.write(text:
            "slide encoder: \(tileEmbeds.shape.first ?? 0) tiles, D=\(c.embedDim), \(c.depth) layers, \(c.heads) heads\n")
        var progress = ProgressLine("slide encoder", total: c.depth, unit: "layers")
        let embeddings: SlideEmbeddings
        do {
            defer { progress.finish() }  // also when the forward pass fails
            embeddings = try model.forward(tileEmbeds: tileEmbeds, cells: placement.cells) { done, _ in
                progress.update(done)
            }
        }
        embeddings.add(to: &dict, pool: pool)
        FileHandle.standardError.write(text: Self.summary(embeddings.slideEmbed(pool: pool), pool: pool) + "\n")
    }

    /// One line about the slide embedding: width, L2 norm, mean and its first values.
    static func summary(_ v: [Float], pool: SlidePool) -> String {
        let norm = v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
        let mean = v.reduce(0) { $0 + Double($1) } / Double(max(1, v.count))
        let head = v.prefix(6).map { String(format: "%.4f", $0) }.joined(separator: " ")
        return String(format: "slide_embed (--pool %@) [%d]: L2 norm %.4f, mean %.4f, first %@ ...",
                      pool.rawValue, v.count, norm, mean, head)
    }
}

/// A plain error message for the user (exit code 1).
struct CLIMessage: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
