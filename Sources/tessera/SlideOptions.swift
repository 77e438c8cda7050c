import ArgumentParser
import Foundation
import TesseraCore
import TesseraModels
import TesseraPipeline

extension SlidePool: ExpressibleByArgument {}

/// The slide-encoder options shared by `tessera slide` and `tessera embed --slide-encoder`
/// (`--tile-size`, the grid's cell, is each command's own: `tessera embed` also cuts tiles by it).
struct SlideOptions: ParsableArguments {
    @Option(help: "which embedding becomes slide_embed: mean (global_pool_embed) or cls (encoder_out_embed)")
    var pool: SlidePool = .mean

    @Option(parsing: .unconditional, help: "attention heads (default: config.json, else 16 as in the real model)")
    var heads: Int?

    @Option(name: .customLong("coord-scale"), parsing: .unconditional, help: "factor from the coordinates to level-0 pixels at 0.5 mpp")
    var coordScale: Double = 1

    func validate() throws {
        if let heads, heads < 1 { throw ValidationError("--heads must be at least 1, got \(heads)") }
        guard coordScale > 0, coordScale.isFinite else { throw ValidationError("--coord-scale must be a positive number, got \(coordScale)") }
    }

    /// `model` with these options' pooling and grid: `tileSize` (level-0 pixels per grid cell,
    /// `--tile-size` of the command) overrides the tiles' own geometry and the model's default.
    func embedder(for model: SlideEncoder, tileSize: Double?) -> SlideEmbedder {
        SlideEmbedder(model: model, tileSize: tileSize, coordScale: coordScale, pool: pool)
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
