import TesseraImage

/// One slide's tiles, in row order: where every tile-to-embedding path gets its pixels (a slide
/// folder of PNGs, RGB buffers from the C interface, the distillation's decoded crops). The one
/// batched tile-encoder run (`TileBatches`, `TileEmbedder`) reads any source the same way.
///
/// `image(of:)` is called from several threads at once, for different tiles.
public protocol TileSource: AnyObject {
    /// N, the number of tiles.
    var count: Int { get }
    /// The tile's name in outputs (`tile_names`), warnings and errors: a PNG's file name.
    func name(of tile: Int) -> String
    /// Where the tile came from, for a message about it (a PNG's path).
    func location(of tile: Int) -> String
    /// The level-0 pixel position (x, y) of the tile's top-left corner; nil when unknown.
    func position(of tile: Int) -> (x: Int, y: Int)?
    /// The tile's RGB pixels: the whole tile, or the tile transform's crop when `yieldsCrops`.
    func image(of tile: Int) throws(ImageDecodingError) -> RGBImage
    /// True when `image(of:)` already gives the transform's resized and cropped tile.
    var yieldsCrops: Bool { get }
    /// Where the tiles were cut from a whole-slide file; nil when unknown (PNG tiles).
    var geometry: TileGeometry? { get }
    /// Tiles left out before the source listed its own, unreadable (a whole-slide file's grid
    /// tiles its selection could not read, reported by name when the selection was made): a run
    /// counts them among its skipped tiles.
    var unreadable: Int { get }
}

extension TileSource {
    public var geometry: TileGeometry? { nil }
    public var unreadable: Int { 0 }
}
