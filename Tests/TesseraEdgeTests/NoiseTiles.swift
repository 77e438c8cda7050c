import TesseraImage
import TesseraPipeline

/// Two 36 x 36 tiles of seeded noise side by side on the slide encoder's grid (positions (0, 0)
/// and (256, 0)): the slide that every `BundleMutator` mutant runs on. Shared with scripts/fuzz's
/// bundle-meaning harness.
final class NoiseTiles: TileSource, @unchecked Sendable {
    private let images: [RGBImage]

    init() {
        var state: UInt64 = 0x7115
        images = (0..<2).map { _ in
            RGBImage(width: 36, height: 36, pixels: (0..<(36 * 36 * 3)).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return UInt8(truncatingIfNeeded: state >> 56)
            })
        }
    }

    var count: Int { images.count }
    var yieldsCrops: Bool { false }
    func name(of tile: Int) -> String { "\(tile * 256)x_0y.png" }
    func location(of tile: Int) -> String { name(of: tile) }
    func position(of tile: Int) -> (x: Int, y: Int)? { (tile * 256, 0) }
    func image(of tile: Int) throws(ImageDecodingError) -> RGBImage { images[tile] }
}
