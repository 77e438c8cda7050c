import COpenSlide
import TesseraCore
import TesseraImage
import TesseraPipeline

/// The kept tiles of a whole-slide file as a tile source, read from the slide on demand (no PNGs):
/// in byte-wise name order, as a folder of the same tiles' PNGs is listed (`TileList`), so both
/// give the same rows.
public final class WholeSlideTiles: TileSource, @unchecked Sendable {
    public let slide: WholeSlide
    public let tiling: SlideTiling
    /// `tiling.tiles` in name order.
    public let tiles: [SlideTile]

    public init(slide: WholeSlide, tiling: SlideTiling) {
        self.slide = slide
        self.tiling = tiling
        let named = tiling.tiles.map { ($0.name, $0) }
        tiles = named.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }.map { $0.1 }
    }

    /// The tiles `tessera tile` would write for the slide file at `path`, streamed instead:
    /// `progress(done, total)` as the grid's tiles are read for their occupancy.
    public convenience init(path: String, options: TilingOptions, progress: (Int, Int) -> Void = { _, _ in }) throws(SlideError) {
        let slide = try WholeSlide(path: path)
        self.init(slide: slide, tiling: try SlideTiling(slide: slide, options: options, progress: progress))
    }

    /// Whether a command's one tile argument names a whole-slide file rather than PNG tiles: a
    /// file (not a folder) that OpenSlide recognises, or that is not a `.png` (so that a slide
    /// OpenSlide cannot open is reported as one, not as a bad PNG).
    public static func names(_ path: String) -> Bool {
        !TileList.isFolder(path) && (openslide_detect_vendor(path) != nil || !PNGFileName.matches(path))
    }

    public var count: Int { tiles.count }
    public var yieldsCrops: Bool { false }
    public var unreadable: Int { tiling.skipped.count }
    public var geometry: TileGeometry? {
        let level = slide.levels[tiling.options.level]
        return TileGeometry(level: tiling.options.level, tileSize: tiling.options.tileSize, downsample: level.downsample,
                            mppX: slide.mpp.map { $0.x * level.downsample }, mppY: slide.mpp.map { $0.y * level.downsample })
    }
    public func name(of tile: Int) -> String { tiles[tile].name }
    public func location(of tile: Int) -> String { slide.path + ": " + tiles[tile].name }
    /// The true level-0 top-left corner (in prov-gigapath mode not the name's numbers).
    public func position(of tile: Int) -> (x: Int, y: Int)? { (tiles[tile].x, tiles[tile].y) }

    public func image(of tile: Int) throws(ImageDecodingError) -> RGBImage {
        do {
            return try tiling.image(of: tiles[tile], from: slide)
        } catch {
            throw ImageDecodingError(path: location(of: tile), reason: .unreadable(error.description))
        }
    }
}
