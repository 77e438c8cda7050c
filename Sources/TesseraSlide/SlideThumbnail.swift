import TesseraImage

/// A small picture of a slide with the selected tiles outlined, for a person to check the tiling
/// at a glance (`tessera tile` writes it as `OUT/<slide>/thumbnail.png`). It is one level
/// box-averaged by a whole factor to at most `maxSide` pixels on its longer side, the level read
/// in strips: the smallest level that still has `maxSide / 2` pixels across (reading more would
/// cost as much as the tiles themselves on a small slide), unless that one is too large to read
/// quickly (more than `readPixels`), then the largest level within that.
public struct SlideThumbnail: Sendable {
    public static let maxSide = 1024
    /// Levels read for a thumbnail have at most this many pixels (where the slide has one).
    public static let readPixels = 1 << 26
    /// The outline colour: pure green, which neither stain nor background is.
    public static let outline: [UInt8] = [0, 255, 0]

    public private(set) var image: RGBImage
    /// The level it shows.
    public let level: Int
    /// Level-0 pixels per thumbnail pixel (the level's downsample times the averaging factor).
    public let scale: Double

    /// The picture of `slide`. Where the level it would show has a tile OpenSlide cannot decode
    /// (a corrupt JPEG tile, which `tessera tile` skips and reports), the next smaller level is
    /// shown instead: a damaged tile does not cost the slide its picture.
    public init(slide: WholeSlide, maxSide: Int = SlideThumbnail.maxSide, stripPixels: Int = 1 << 22) throws(SlideError) {
        let levels = slide.levels
        let readable = levels.indices.filter { Double(levels[$0].width) * Double(levels[$0].height) <= Double(SlideThumbnail.readPixels) }
        let first = readable.last { 2 * max(levels[$0].width, levels[$0].height) >= maxSide } ?? readable.first ?? levels.count - 1
        var level = first
        while true {
            do throws(SlideError) {
                (image, scale) = try Self.picture(of: slide, level: level, maxSide: maxSide, stripPixels: stripPixels)
                self.level = level
                return
            } catch {
                guard case .openSlide = error.problem, level + 1 < levels.count else { throw error }
                level += 1
            }
        }
    }

    /// `level` box-averaged by a whole factor to at most `maxSide` pixels across, and the level-0
    /// pixels per picture pixel.
    private static func picture(of slide: WholeSlide, level: Int, maxSide: Int, stripPixels: Int) throws(SlideError) -> (RGBImage, Double) {
        let source = try slide.level(level)
        let factor = max(1, (max(source.width, source.height) + maxSide - 1) / maxSide)
        let width = (source.width + factor - 1) / factor, height = (source.height + factor - 1) / factor
        var image = RGBImage(width: width, height: height)
        // Sums of the level's pixels under one row of thumbnail pixels, emitted when that row is complete.
        var sums = [Int](repeating: 0, count: 3 * width)
        try slide.forEachStrip(level: level, maxPixels: stripPixels) { top, strip in
            for row in 0..<strip.height {
                let y = top + row
                for x in 0..<source.width {
                    for c in 0..<3 { sums[3 * (x / factor) + c] += Int(strip.pixels[3 * (row * source.width + x) + c]) }
                }
                guard y % factor == factor - 1 || y == source.height - 1 else { continue }
                let rows = y % factor + 1, out = y / factor
                for u in 0..<width {
                    let count = rows * (min(source.width, (u + 1) * factor) - u * factor)
                    for c in 0..<3 { image.pixels[3 * (out * width + u) + c] = UInt8((sums[3 * u + c] + count / 2) / count) }
                }
                for i in sums.indices { sums[i] = 0 }
            }
        }
        return (image, Double(factor) * source.downsample)
    }

    /// Draws the outline of a rectangle given in level-0 pixels (the part inside the picture).
    public mutating func outline(x: Int, y: Int, width: Int, height: Int) {
        let u0 = Int((Double(x) / scale).rounded(.down)), u1 = Int((Double(x + width - 1) / scale).rounded(.down))
        let v0 = Int((Double(y) / scale).rounded(.down)), v1 = Int((Double(y + height - 1) / scale).rounded(.down))
        let left = max(u0, 0), right = min(u1, image.width - 1), top = max(v0, 0), bottom = min(v1, image.height - 1)
        guard left <= right, top <= bottom else { return }
        let columns = left...right, rows = top...bottom
        for v in [v0, v1] where rows.contains(v) {
            for u in columns { paint(u, v) }
        }
        for u in [u0, u1] where columns.contains(u) {
            for v in rows { paint(u, v) }
        }
    }

    /// Outlines every tile `tiling` selected on `slide`.
    public mutating func outline(_ tiling: SlideTiling, on slide: WholeSlide) throws(SlideError) {
        let side = Int(Double(tiling.options.tileSize) * (try slide.level(tiling.options.level)).downsample)
        for tile in tiling.tiles { outline(x: tile.x, y: tile.y, width: side, height: side) }
    }

    private mutating func paint(_ u: Int, _ v: Int) {
        for c in 0..<3 { image.pixels[3 * (v * image.width + u) + c] = SlideThumbnail.outline[c] }
    }
}
