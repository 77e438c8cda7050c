/// How `SlideTiling` cuts a slide into tiles (prov-gigapath's `process_slide` arguments).
public struct TilingOptions: Equatable, Sendable {
    /// Which tiles and names: see the README's "tessera tile".
    public enum Mode: Equatable, Sendable {
        /// The same selection, but tiles named by their true level-0 top-left corner, every tile's
        /// pixels the slide's own there (white past the slide's edge, never read), occupancy exact.
        case exact
        /// Upstream's names, pixels and float16 occupancy, bugs included.
        case provGigapath
    }

    public var mode: Mode
    /// The pyramid level tiles are cut from.
    public var level: Int
    /// Tile width and height, in pixels of `level`.
    public var tileSize: Int
    /// Luminance (0-255) below which a pixel is foreground; nil: Otsu on the smallest level.
    public var foregroundThreshold: Double?
    /// A tile is kept when its foreground fraction is above this (0-1).
    public var occupancyThreshold: Double

    public init(mode: Mode = .exact, level: Int = 0, tileSize: Int = 256, foregroundThreshold: Double? = nil,
                occupancyThreshold: Double = 0.1) {
        self.mode = mode
        self.level = level
        self.tileSize = tileSize
        self.foregroundThreshold = foregroundThreshold
        self.occupancyThreshold = occupancyThreshold
    }
}
