import TesseraImage

/// Tiles held in the caller's memory (the C interface's `tessera_edge_embed_rgb`): `count`
/// tiles of `width` x `height` pixels, interleaved R, G, B bytes, rows top to bottom, packed one
/// after another at `rgb`. They have no names or positions of their own: "tile i".
public final class RGBTileBuffer: TileSource, @unchecked Sendable {
    public let count: Int
    public let width: Int
    public let height: Int
    private let rgb: UnsafePointer<UInt8>

    /// The caller keeps `rgb` alive and unchanged while the source is read.
    public init(rgb: UnsafePointer<UInt8>, count: Int, width: Int, height: Int) {
        self.rgb = rgb
        self.count = count
        self.width = width
        self.height = height
    }

    public var yieldsCrops: Bool { false }
    public func name(of tile: Int) -> String { "tile \(tile)" }
    public func location(of tile: Int) -> String { name(of: tile) }
    public func position(of tile: Int) -> (x: Int, y: Int)? { nil }

    public func image(of tile: Int) throws(ImageDecodingError) -> RGBImage {
        let bytes = width * height * 3
        return RGBImage(width: width, height: height, pixels: Array(UnsafeBufferPointer(start: rgb + tile * bytes, count: bytes)))
    }
}
