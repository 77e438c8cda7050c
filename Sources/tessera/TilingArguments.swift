import ArgumentParser
import TesseraSlide

/// How a whole-slide file is cut into tiles: the options of `tessera tile`, which `tessera
/// embed` takes too for a whole-slide input (one declaration for both). Each is nil when not
/// given; `options` fills in `TilingOptions`' defaults.
struct TilingArguments: ParsableArguments {
    @Option(help: "Tile names, pixels and occupancy: 'exact' (default) or 'prov-gigapath' (upstream's, bugs included).")
    var compat: String?

    @Option(parsing: .unconditional, help: "Pyramid level the tiles are cut from (default 0, or the one --mpp picks).")
    var level: Int?

    @Option(parsing: .unconditional,
            help: "Cut the tiles from the level whose microns per pixel (the slide's openslide.mpp-x/-y times the level's downsample) are nearest this.")
    var mpp: Double?

    @Option(name: .customLong("tile-size"), parsing: .unconditional,
            help: "Tile width and height in pixels of the level (default 256). `tessera embed` on PNG tiles: the slide encoder's grid cell in level-0 pixels (default: the model's config, else 256).")
    var tileSize: Int?

    @Option(parsing: .unconditional,
            help: "Luminance (0-255) below which a pixel is foreground (default: Otsu on the smallest level).")
    var foregroundThreshold: Double?

    @Option(parsing: .unconditional, help: "Keep tiles whose foreground fraction is above this (0-1; default 0.1).")
    var occupancyThreshold: Double?

    func validate() throws {
        if let compat, !["exact", "prov-gigapath"].contains(compat) {
            throw ValidationError("--compat must be exact or prov-gigapath, got '\(compat)'")
        }
        if let level, level < 0 { throw ValidationError("--level must be at least 0, got \(level)") }
        if let mpp {
            guard level == nil else { throw ValidationError("give --level or --mpp, not both") }
            guard mpp.isFinite && mpp > 0 else { throw ValidationError("--mpp must be a positive number of microns, got \(mpp)") }
        }
        if let tileSize, !(1...65536).contains(tileSize) { throw ValidationError("--tile-size must be between 1 and 65536, got \(tileSize)") }
        if let t = foregroundThreshold, !(t.isFinite && t >= 0 && t <= 255) {
            throw ValidationError("--foreground-threshold must be between 0 and 255, got \(t)")
        }
        // Upstream's own check (select_tiles).
        if let t = occupancyThreshold, !(t >= 0 && t <= 1) {
            throw ValidationError("--occupancy-threshold must be between 0 and 1, got \(t)")
        }
    }

    /// The options given, the rest `TilingOptions`' defaults; the level is --mpp's where given
    /// (see `level(for:)`).
    var options: TilingOptions {
        var options = TilingOptions()
        if let compat { options.mode = compat == "prov-gigapath" ? .provGigapath : .exact }
        if let level { options.level = level }
        if let tileSize { options.tileSize = tileSize }
        if let foregroundThreshold { options.foregroundThreshold = foregroundThreshold }
        if let occupancyThreshold { options.occupancyThreshold = occupancyThreshold }
        return options
    }

    /// The level `slide` is tiled at: --level, the level nearest --mpp, or 0.
    func level(for slide: WholeSlide) throws -> Int {
        guard let mpp else { return options.level }
        guard let chosen = slide.level(nearestMPP: mpp) else {
            throw CLIMessage("\(slide.path): the slide records no microns per pixel (openslide.mpp-x, openslide.mpp-y): choose a level with --level")
        }
        return chosen
    }

    /// The options given that only a whole-slide input uses (`--tile-size` means the slide
    /// encoder's grid cell for PNG tiles).
    var slideOnly: [String] {
        [("--compat", compat != nil), ("--level", level != nil), ("--mpp", mpp != nil), ("--foreground-threshold", foregroundThreshold != nil),
         ("--occupancy-threshold", occupancyThreshold != nil)].filter { $0.1 }.map { $0.0 }
    }
}

extension TilingArguments {
    /// Every tiling option as it applies (the defaults filled in), for a dataset output's stamp:
    /// an output tiled otherwise is redone.
    var settings: String {
        let o = options
        return "compat=\(o.mode == .provGigapath ? "prov-gigapath" : "exact") level=\(mpp.map { "mpp \($0)" } ?? String(o.level)) "
            + "tile_size=\(o.tileSize) foreground_threshold=\(o.foregroundThreshold.map { "\($0)" } ?? "otsu") "
            + "occupancy_threshold=\(o.occupancyThreshold)"
    }
}
