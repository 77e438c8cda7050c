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

    public var count: Int { tiles.count }
    public var yieldsCrops: Bool { false }
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
