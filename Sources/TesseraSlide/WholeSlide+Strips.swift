import TesseraImage

/// A whole level read a band of rows at a time, so that no read holds more than a bounded number
/// of pixels, whatever the level's size.
extension WholeSlide {
    /// Calls `body(top, strip)` for bands of whole rows of `level`, top to bottom: `strip` holds
    /// the level's rows `top..<top + strip.height`, at most `maxPixels` pixels (one row at least).
    /// A level of at most `maxPixels` pixels comes in one read from (0, 0), the same pixels as
    /// reading it whole. OpenSlide places a read by level-0 coordinates: a band's top row is asked
    /// for at level-0 row `top * downsample` rounded, which at a fractional downsample lies a
    /// fraction of a pixel off the level's own row, and OpenSlide interpolates: such bands can
    /// differ from one whole read by a rounding unit (measured on synth_a's smallest level).
    public func forEachStrip(level index: Int, maxPixels: Int, _ body: (Int, RGBImage) -> Void) throws(SlideError) {
        let level = try self.level(index)
        guard level.width > 0 else { return }
        let rows = max(1, maxPixels / level.width)
        var top = 0
        while top < level.height {
            let height = min(rows, level.height - top)
            let y = Int((Double(top) * level.downsample).rounded())
            body(top, try region(x: 0, y: y, level: index, width: level.width, height: height))
            top += height
        }
    }
}
