/// One selected tile of a slide: its name, where it lies, and which pixels make it.
public struct SlideTile: Equatable, Sendable {
    /// The two numbers of the name `{x:05d}x_{y:05d}y.png` (upstream's `tile_x`, `tile_y`).
    public let nameX: Int
    public let nameY: Int
    /// The true level-0 position of the tile's top-left corner (equal to the name's numbers
    /// except in prov-gigapath mode, whose names swap the origin's axes).
    public let x: Int
    public let y: Int
    /// The foreground fraction; in prov-gigapath mode numpy's float16 value (`inf` when its
    /// float16 sum overflows, on (almost) full tiles).
    public let occupancy: Double
    /// The tile's pixels come from this read, placed at (`readX`, `readY`) in a tile that is
    /// white elsewhere; nil when the read is empty.
    public let read: TileRead?

    /// `{x:05d}x_{y:05d}y.png`, formatted as Python's `f"{v:05d}"` (a negative value keeps its
    /// sign within the width: -81 is "-0081").
    public var name: String { SlideTile.padded(nameX) + "x_" + SlideTile.padded(nameY) + "y.png" }

    static func padded(_ value: Int) -> String {
        let digits = String(value.magnitude)
        let width = value < 0 ? 4 : 5
        let zeros = String(repeating: "0", count: max(0, width - digits.count))
        return (value < 0 ? "-" : "") + zeros + digits
    }
}

/// One OpenSlide read: `width` x `height` pixels of `level` from the level-0 position
/// (`levelZeroX`, `levelZeroY`), placed at (`tileX`, `tileY`) inside the tile.
public struct TileRead: Equatable, Sendable {
    public let level: Int
    public let levelZeroX: Int
    public let levelZeroY: Int
    public let width: Int
    public let height: Int
    public let tileX: Int
    public let tileY: Int
}
