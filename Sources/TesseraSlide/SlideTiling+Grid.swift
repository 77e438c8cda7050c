/// Where each grid tile lies, is named and is read from, per mode. `relX`, `relY`: the tile's
/// top-left corner relative to the ROI, in pixels of the tiling level (negative in the padding).
extension SlideTiling {
    /// Upstream's tile: the ROI's pixels inside it, read at the ROI's own offsets (so at the same
    /// sub-pixel phase as its one large read: hence integer downsamples only), the rest white.
    /// Names: `(downsample * (relX, relY) + (roi.y, roi.x))` truncated: the origin's axes
    /// are swapped (upstream passes MONAI's (row, column) location on as an (x, y) origin).
    static func upstreamTile(_ relX: Int, _ relY: Int, roi: (x: Int, y: Int, width: Int, height: Int), level: Int,
                             downsample: Double, size: Int) -> SlideTile {
        let step = Int(downsample)
        let x0 = max(relX, 0), x1 = min(relX + size, roi.width)
        let y0 = max(relY, 0), y1 = min(relY + size, roi.height)
        let read = x1 > x0 && y1 > y0
            ? TileRead(level: level, levelZeroX: roi.x + step * x0, levelZeroY: roi.y + step * y0, width: x1 - x0, height: y1 - y0,
                       tileX: x0 - relX, tileY: y0 - relY)
            : nil
        return SlideTile(nameX: Int(downsample * Double(relX) + Double(roi.y)), nameY: Int(downsample * Double(relY) + Double(roi.x)),
                         x: roi.x + step * relX, y: roi.y + step * relY, occupancy: 0, read: read)
    }

    /// The exact mode's tile: named by its level-0 top-left corner, its pixels the level's own,
    /// clipped to the level (white past the slide's edge, never read).
    static func exactTile(_ relX: Int, _ relY: Int, roi: (x: Int, y: Int, width: Int, height: Int), level: Int,
                          bounds: WholeSlide.Level, size: Int) -> SlideTile {
        let ds = bounds.downsample
        // The tile's top-left corner in the level's own pixels.
        let ax = Int((Double(roi.x) / ds).rounded(.down)) + relX, ay = Int((Double(roi.y) / ds).rounded(.down)) + relY
        let x0 = max(ax, 0), x1 = min(ax + size, bounds.width)
        let y0 = max(ay, 0), y1 = min(ay + size, bounds.height)
        let read = x1 > x0 && y1 > y0
            ? TileRead(level: level, levelZeroX: Int(Double(x0) * ds), levelZeroY: Int(Double(y0) * ds), width: x1 - x0, height: y1 - y0,
                       tileX: x0 - ax, tileY: y0 - ay)
            : nil
        let x = Int(Double(ax) * ds), y = Int(Double(ay) * ds)
        return SlideTile(nameX: x, nameY: y, x: x, y: y, occupancy: 0, read: read)
    }
}
