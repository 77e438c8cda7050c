extension SlidePicture {
    /// The row under the map: a scale bar with its length on the left, the legend on the right
    /// (swatches and their texts: the components', `legend(_:)`, or an attention scale's).
    struct Caption {
        /// The bar's length in picture pixels and its label ("500 µm", "2 mm", "1000 px").
        let bar: Int
        let label: String
        let legend: [(text: String, colour: RGBImage.Colour)]
        let unit: Int
        let margin: Int

        /// The bar is the longest of 1, 2 or 5 times a power of ten micrometres (level-0 pixels without
        /// `micronsPerPixel`) that fits in a quarter of the map's width; `scale`: level-0 pixels per
        /// picture pixel.
        init(legend: [(text: String, colour: RGBImage.Colour)], micronsPerPixel: Double?, scale: Double, mapWidth: Int, unit: Int,
             margin: Int) {
            let mpp = micronsPerPixel.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
            let pixelsPerUnit = 1 / (scale * (mpp ?? 1))
            var length = 1
            for candidate in Self.lengths where Double(candidate) * pixelsPerUnit <= Double(mapWidth) / 4 { length = candidate }
            bar = max(1, Int((Double(length) * pixelsPerUnit).rounded()))
            if mpp == nil {
                label = "\(length) px"
            } else {
                label = length >= 1000 ? "\(length / 1000) mm" : "\(length) µm"
            }
            self.legend = legend
            self.unit = unit
            self.margin = margin
        }

        /// The principal components' legend: "PC1 34%", a swatch of the channel and the share of the
        /// variance it shows, rounded to a whole percent ("<1%" below a half).
        static func legend(_ pca: PrincipalComponents) -> [(text: String, colour: RGBImage.Colour)] {
            let channels = [RGBImage.Colour(255, 0, 0), RGBImage.Colour(0, 255, 0), RGBImage.Colour(0, 0, 255)]
            return (0..<3).map { k in
                let percent = pca.totalVariance > 0 ? 100 * pca.variances[k] / pca.totalVariance : 0
                let share = percent.rounded() >= 1 ? "\(Int(percent.rounded()))%" : "<1%"
                return ("PC\(k + 1) " + share, channels[k])
            }
        }

        /// 1, 2, 5, 10, 20, 50, ... up to 5 * 10^8: any slide's width in micrometres or pixels.
        static let lengths: [Int] = (0...8).flatMap { e in
            var power = 1
            for _ in 0..<e { power *= 10 }
            return [power, 2 * power, 5 * power]
        }

        /// The swatch and the text of one legend entry, and the space after it.
        private var swatch: Int { BitmapFont.glyphHeight * unit }
        private var gap: Int { 2 * unit }

        /// The caption's width: the bar and its label, a margin, the legend.
        var width: Int {
            bar + gap + BitmapFont.width(of: label, scale: unit) + margin + legendWidth
        }

        private var legendWidth: Int {
            legend.reduce(0) { $0 + swatch + gap + BitmapFont.width(of: $1.text, scale: unit) } + (legend.count - 1) * margin
        }

        /// Draws the caption with its top-left corner at (`x`, `y`), the legend ending at `x + width`.
        func draw(into picture: inout RGBImage, x: Int, y: Int, width: Int) {
            let height = BitmapFont.glyphHeight * unit
            // The bar, with ticks at both ends the full height of the text.
            picture.fill(x: x, y: y + 2 * unit, width: bar, height: 3 * unit, .black)
            picture.fill(x: x, y: y, width: unit, height: height, .black)
            picture.fill(x: x + bar - unit, y: y, width: unit, height: height, .black)
            BitmapFont.draw(label, into: &picture, x: x + bar + gap, y: y, scale: unit, colour: .black)
            var left = x + width - legendWidth
            for entry in legend {
                picture.fill(x: left, y: y, width: swatch, height: swatch, entry.colour)
                left += swatch + gap
                BitmapFont.draw(entry.text, into: &picture, x: left, y: y, scale: unit, colour: .black)
                left += BitmapFont.width(of: entry.text, scale: unit) + margin
            }
        }
    }
}
