import TesseraCore

/// Where a slide's tiles were cut: the pyramid level, the tile size in that level's pixels, the
/// level's downsample from level 0 and, when the slide says, its microns per pixel. Outputs
/// record it beside `coords` (level-0 positions), so that the slide encoder's grid follows the
/// tiles without the user working it out: tiles cut at level 1 of an Aperio slide (downsample
/// 4) are 1024 level-0 pixels apart, not 256 (prov-gigapath issues #65, #116).
public struct TileGeometry: Equatable, Sendable {
    public let level: Int
    /// Tile width and height in pixels of `level`.
    public let tileSize: Int
    /// The level's downsample from level 0 (OpenSlide's).
    public let downsample: Double
    /// Microns per pixel of `level` (the slide's level-0 values times the downsample), when known.
    public let mppX: Double?
    public let mppY: Double?

    public init(level: Int, tileSize: Int, downsample: Double, mppX: Double?, mppY: Double?) {
        self.level = level
        self.tileSize = tileSize
        self.downsample = downsample
        self.mppX = mppX
        self.mppY = mppY
    }

    /// The slide encoder's grid cell: one tile, in whole level-0 pixels. Rounded down, since the
    /// tiles' level-0 positions are truncated: neighbours, at least this far apart, then never
    /// share a cell (at downsample 4.0003, tile k sits at trunc(k * 1024.08), whose quotient by
    /// 1024.08 falls just below k).
    public var levelZeroTileSize: Double { (Double(tileSize) * downsample).rounded(.down) }

    /// The `__metadata__` entries an output records (formats: README, "tessera embed").
    public var metadata: [String: String] {
        var entries = [Self.levelKey: String(level), Self.tileSizeKey: String(tileSize), Self.downsampleKey: "\(downsample)"]
        if let mppX { entries[Self.mppXKey] = "\(mppX)" }
        if let mppY { entries[Self.mppYKey] = "\(mppY)" }
        return entries
    }

    /// The geometry an output's `metadata` records; nil when it records none (tiles from PNGs),
    /// or a value that is not a positive number.
    public init?(metadata: [String: String]) {
        guard let level = metadata[Self.levelKey].flatMap({ Int($0) }), level >= 0,
              let tileSize = metadata[Self.tileSizeKey].flatMap({ Int($0) }), tileSize > 0,
              let downsample = metadata[Self.downsampleKey].flatMap(DecimalText.double), downsample.isFinite, downsample > 0
        else { return nil }
        self.init(level: level, tileSize: tileSize, downsample: downsample,
                  mppX: metadata[Self.mppXKey].flatMap(DecimalText.double), mppY: metadata[Self.mppYKey].flatMap(DecimalText.double))
    }

    static let levelKey = "tile_level"
    static let tileSizeKey = "tile_size"
    static let downsampleKey = "tile_downsample"
    static let mppXKey = "tile_mpp_x"
    static let mppYKey = "tile_mpp_y"
}
