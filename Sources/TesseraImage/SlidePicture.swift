import TesseraCore

/// A picture of one slide from its output file (docs/plot.md): each tile a square at its
/// level-0 position, coloured by the first three principal components of the tile embeddings
/// (PC1 red, PC2 green, PC3 blue, each min-max scaled over the slide's tiles), the slide's name
/// above, a scale bar and the components' legend below; optionally laid over the slide's
/// thumbnail. Everything is drawn here, text included (`BitmapFont`), so the edge engine can
/// draw it too.
///
/// Layout, with u = max(1, width / 512) pixels per font dot and a margin of 8u: the title row
/// (the name in dots of t = max(1, 3u / 2) pixels, 7t tall, and the tile count at the right),
/// the map, then the caption row (7u), each separated by a margin, with a margin around all. The map is the tiles' bounding box (or the whole slide, over a background) scaled so its
/// longer side is `width` pixels; the picture is as wide as the map, or the caption where that is
/// wider, plus the margins.
public struct SlidePicture {
    /// The picture widths (of the map's longer side) accepted.
    public static let widths = 64...8192

    /// A picture of the whole slide to draw the tiles over: `image` shows level 0's
    /// `slideWidth` x `slideHeight` pixels; tiles are laid over it with opacity `alpha`.
    public struct Background {
        public let image: RGBImage
        public let slideWidth: Int
        public let slideHeight: Int
        public let alpha: Double

        public init(image: RGBImage, slideWidth: Int, slideHeight: Int, alpha: Double) {
            self.image = image
            self.slideWidth = slideWidth
            self.slideHeight = slideHeight
            self.alpha = alpha
        }
    }

    /// Where the map lies in the picture and what it shows.
    public struct Layout: Equatable, Sendable {
        /// The map's top-left pixel and size in the picture.
        public let mapX: Int, mapY: Int, mapWidth: Int, mapHeight: Int
        /// The level-0 position shown at the map's top-left corner.
        public let originX: Double, originY: Double
        /// Level-0 pixels per picture pixel.
        public let scale: Double
        /// Pixels per font dot (the title's: `titleUnit`), and the margin.
        public let unit: Int, titleUnit: Int, margin: Int

        /// The picture pixels (columns `x..<x + width`, rows `y..<y + height`) of a level-0 square.
        public func rectangle(x: Double, y: Double, side: Double) -> (x: Int, y: Int, width: Int, height: Int) {
            let left = Int(((x - originX) / scale).rounded(.down)), right = Int(((x + side - originX) / scale).rounded(.down))
            let top = Int(((y - originY) / scale).rounded(.down)), bottom = Int(((y + side - originY) / scale).rounded(.down))
            // A tile smaller than a pixel still gets one; neighbours share edges, never overlap.
            return (mapX + left, mapY + top, max(right - left, 1), max(bottom - top, 1))
        }
    }

    public let image: RGBImage
    public let layout: Layout
    /// The principal components the tiles are coloured by (nil for an attention map).
    public let components: PrincipalComponents?
    /// Each tile's colour, in the rows' order.
    public let colours: [RGBImage.Colour]

    /// The picture of the tiles `tileEmbeds` [N, D] at `coords` [N, 2] (level-0 x, y of each
    /// tile's top-left corner), each `tileSize` level-0 pixels a side (nil: the coordinates' grid
    /// step, `gridStep`, else 256). `micronsPerPixel` (level 0's) labels the scale bar in
    /// micrometres, else it counts level-0 pixels.
    public init(tileEmbeds: Tensor?, coords: Tensor?, tileSize: Double? = nil, name: String, micronsPerPixel: Double? = nil,
                width: Int = 1024, background: Background? = nil) throws(SlidePictureError) {
        guard Self.widths.contains(width) else { throw .badWidth(width) }
        let (embeds, positions) = try Self.checked(tileEmbeds, named: "tile_embeds", coords: coords)
        let n = embeds.shape[0], d = embeds.shape[1]
        let pca = embeds.withFloats { PrincipalComponents(rows: $0, count: n, width: d) }
        try self.init(colours: Self.colours(pca), legend: Caption.legend(pca), components: pca, positions: positions,
                      tileSize: tileSize, name: name, micronsPerPixel: micronsPerPixel, width: width, background: background)
    }

    /// The map of the attention the class token pays each tile (`classAttention` [N], what
    /// `tessera-edge run` writes for a bundle with a classifier): each tile coloured by its
    /// weight, min-max scaled over the slide's tiles on a dark-to-bright heat scale (`heat`).
    public init(classAttention: Tensor?, coords: Tensor?, tileSize: Double? = nil, name: String, micronsPerPixel: Double? = nil,
                width: Int = 1024, background: Background? = nil) throws(SlidePictureError) {
        guard Self.widths.contains(width) else { throw .badWidth(width) }
        let (weights, positions) = try Self.checked(classAttention, named: "class_attention", vector: true, coords: coords)
        let values = weights.floats().map(Double.init)
        let low = values.min()!, high = values.max()!
        let colours = values.map { Self.heat(high > low ? ($0 - low) / (high - low) : 0.5) }
        try self.init(colours: colours, legend: [("attention: low", Self.heat(0)), ("high", Self.heat(1))], components: nil,
                      positions: positions, tileSize: tileSize, name: name, micronsPerPixel: micronsPerPixel, width: width,
                      background: background)
    }

    /// A dark-to-bright heat scale for t in 0...1: near-black, purple, red, orange, pale yellow
    /// (piecewise linear between those five colours), readable in grey too.
    public static func heat(_ t: Double) -> RGBImage.Colour {
        let stops: [(Double, Double, Double)] = [(0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164)]
        let x = min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2), f = x - Double(i)
        func mix(_ a: Double, _ b: Double) -> UInt8 { UInt8((a + (b - a) * f).rounded()) }
        return RGBImage.Colour(mix(stops[i].0, stops[i + 1].0), mix(stops[i].1, stops[i + 1].1), mix(stops[i].2, stops[i + 1].2))
    }

    /// Draws tiles of `colours` at `positions` [N, 2] with `legend` under the map.
    private init(colours: [RGBImage.Colour], legend: [(text: String, colour: RGBImage.Colour)], components: PrincipalComponents?,
                 positions: [Double], tileSize: Double?, name: String, micronsPerPixel: Double?, width: Int,
                 background: Background?) throws(SlidePictureError) {
        let n = colours.count
        let tileSize = tileSize ?? Self.gridStep(positions) ?? 256
        guarantee(tileSize > 0 && tileSize.isFinite, "SlidePicture: tile size \(tileSize)")
        self.components = components
        self.colours = colours

        let xs = (0..<n).map { positions[2 * $0] }, ys = (0..<n).map { positions[2 * $0 + 1] }
        var region = (x0: xs.min()!, y0: ys.min()!, x1: xs.max()! + tileSize, y1: ys.max()! + tileSize)
        if let background {
            region = (0, 0, Double(background.slideWidth), Double(background.slideHeight))
            let onSlide = (0..<n).contains { xs[$0] + tileSize > 0 && ys[$0] + tileSize > 0 && xs[$0] < region.x1 && ys[$0] < region.y1 }
            guard onSlide else { throw .tilesOutsideSlide(width: background.slideWidth, height: background.slideHeight) }
        }
        let scale = max(region.x1 - region.x0, region.y1 - region.y0) / Double(width)
        let mapWidth = max(1, Int(((region.x1 - region.x0) / scale).rounded()))
        let mapHeight = max(1, Int(((region.y1 - region.y0) / scale).rounded()))
        let unit = max(1, width / 512), titleUnit = max(1, 3 * unit / 2), margin = 8 * unit
        let caption = Caption(legend: legend, micronsPerPixel: micronsPerPixel, scale: scale, mapWidth: mapWidth, unit: unit, margin: margin)
        let content = max(mapWidth, caption.width)
        let mapY = 2 * margin + BitmapFont.glyphHeight * titleUnit
        layout = Layout(mapX: margin + (content - mapWidth) / 2, mapY: mapY, mapWidth: mapWidth, mapHeight: mapHeight,
                        originX: region.x0, originY: region.y0, scale: scale, unit: unit, titleUnit: titleUnit, margin: margin)

        let pictureWidth = content + 2 * margin, pictureHeight = mapY + mapHeight + 2 * margin + BitmapFont.glyphHeight * unit
        var picture = RGBImage(width: pictureWidth, height: pictureHeight,
                               pixels: [UInt8](repeating: 255, count: 3 * pictureWidth * pictureHeight))
        var alpha = 1.0
        if let background {
            let resized = BicubicResampler(inputWidth: background.image.width, inputHeight: background.image.height,
                                           outputWidth: mapWidth, outputHeight: mapHeight).resize(background.image)
            picture.draw(resized, x: layout.mapX, y: layout.mapY)
            alpha = background.alpha
        }
        for t in 0..<n {
            let r = layout.rectangle(x: xs[t], y: ys[t], side: tileSize)
            // Clipped to the map: over a background, tiles past the slide's edge stop there.
            let left = max(r.x, layout.mapX), top = max(r.y, layout.mapY)
            let right = min(r.x + r.width, layout.mapX + mapWidth), bottom = min(r.y + r.height, layout.mapY + mapHeight)
            picture.blend(x: left, y: top, width: right - left, height: bottom - top, colours[t], alpha: alpha)
        }
        Self.title(name, tiles: n, into: &picture, layout: layout, width: content)
        caption.draw(into: &picture, x: margin, y: mapY + mapHeight + margin, width: content)
        image = picture
    }

    /// Each tile's colour: component k (PC1 red, PC2 green, PC3 blue) min-max scaled over the
    /// tiles to 0...255, rounded to nearest, no percentile clipping. A component with no variance
    /// of its own (at most 1e-9 of PC1's, which is then rounding: one tile, or fewer distinct tiles
    /// than components) is 128 for every tile rather than its rounding noise stretched to 0...255.
    public static func colours(_ pca: PrincipalComponents) -> [RGBImage.Colour] {
        let k = pca.loadings.count
        var channels = [[UInt8]](repeating: [UInt8](repeating: 128, count: pca.count), count: 3)
        for c in 0..<min(k, 3) where pca.variances[c] > 1e-9 * pca.variances[0] {
            let values = (0..<pca.count).map { pca.scores[$0 * k + c] }
            let low = values.min()!, high = values.max()!
            guard high > low else { continue }
            channels[c] = values.map { UInt8((255 * (($0 - low) / (high - low))).rounded()) }
        }
        return (0..<pca.count).map { RGBImage.Colour(channels[0][$0], channels[1][$0], channels[2][$0]) }
    }

    /// The slide's name at the top left, cut short with "..." where it would run into the tile
    /// count at the right ("14 tiles", in grey, on the same baseline).
    static func title(_ name: String, tiles: Int, into picture: inout RGBImage, layout: Layout, width: Int) {
        let count = tiles == 1 ? "1 tile" : "\(tiles) tiles", unit = layout.unit, margin = layout.margin
        let countWidth = BitmapFont.width(of: count, scale: unit)
        let room = width - countWidth - margin
        var text = name
        if BitmapFont.width(of: name, scale: layout.titleUnit) > room {
            let fitting = (max(room, 0) / layout.titleUnit + 1) / BitmapFont.advance  // characters that fit, "..." included
            text = ""
            text.unicodeScalars.append(contentsOf: name.unicodeScalars.prefix(max(fitting - 3, 0)))
            text += "..."
        }
        BitmapFont.draw(text, into: &picture, x: margin, y: margin, scale: layout.titleUnit, colour: .black)
        BitmapFont.draw(count, into: &picture, x: margin + width - countWidth,
                        y: margin + BitmapFont.glyphHeight * (layout.titleUnit - unit), scale: unit, colour: RGBImage.Colour(96, 96, 96))
    }
}
