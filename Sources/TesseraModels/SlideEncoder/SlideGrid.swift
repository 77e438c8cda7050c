import TesseraCore

/// Where tiles sit on the slide encoder's position grid: cell
/// (column, row) = (floor(x * coordScale / tileSize), floor(y * coordScale / tileSize)),
/// with (x, y) the tile's pixel coordinates. Where some tiles lie left of or above the slide
/// (x or y negative: prov-gigapath's tiling centres its grid on the tissue, so a tile can start
/// up to a tile above the slide), that axis is first shifted so that its smallest coordinate is 0:
/// the whole slide moves by less than a tile, its tiles keep their cells relative to each other,
/// and the slide encoder sees no cell -1 (which upstream's PyTorch indexing wraps to the grid's
/// far side). Slides with no negative coordinate are placed exactly as upstream places them. The model was trained on 256 px tiles
/// at level 0 (0.5 mpp) on a 1000 x 1000 grid; `coordScale` converts coordinates
/// taken at another level or resolution to level-0 pixels.
public struct SlideGrid: Sendable, Equatable {
    public var size: Int
    public var tileSize: Double
    public var coordScale: Double

    public init(size: Int = SlideEncoder.Config.defaultGridSize,
                tileSize: Double = SlideEncoder.Config.defaultTileSize, coordScale: Double = 1) {
        self.size = size
        self.tileSize = tileSize
        self.coordScale = coordScale
    }

    public struct Cell: Hashable, Sendable {
        public let column: Int, row: Int
        public init(column: Int, row: Int) {
            self.column = column
            self.row = row
        }
    }

    /// Two tiles in the same grid cell: the model sees them at the same position.
    public struct Duplicate: Sendable, Equatable, CustomStringConvertible {
        public let first: String, second: String
        public let cell: Cell
        public var description: String {
            "\(first) and \(second) share grid cell (\(cell.column), \(cell.row))"
        }
    }

    /// The grid cell of every tile, the tiles that share a cell (a warning, not an error), and the
    /// pixels added to every x and y before placing (0, or minus the smallest negative coordinate).
    public struct Placement: Sendable {
        public let cells: [Cell]
        public let duplicates: [Duplicate]
        public let shift: (x: Double, y: Double)
    }

    /// Places tiles at `coords` [N, 2] (x, y per row, any numeric dtype). `names`
    /// (N, when known) name the tiles in errors; otherwise "tile i".
    public func place(coords: Tensor, names: [String]? = nil) throws(SlideEncoderError) -> Placement {
        guard coords.rank == 2, coords.shape[1] == 2 else {
            throw SlideEncoderError.badInput("coords must have shape [N, 2], got \(Tensor.describe(coords.shape))")
        }
        let n = coords.shape[0]
        if let names, names.count != n {
            throw SlideEncoderError.badInput("\(names.count) tile names for \(n) coordinates")
        }
        return try place(points: (0..<n).map { (coords.scalar(at: 2 * $0), coords.scalar(at: 2 * $0 + 1)) },
                         names: names)
    }

    /// Places tiles at pixel coordinates `points` (x, y).
    public func place(points: [(x: Double, y: Double)], names: [String]? = nil) throws(SlideEncoderError) -> Placement {
        guard tileSize > 0, tileSize.isFinite, coordScale > 0, coordScale.isFinite else {
            throw SlideEncoderError.badInput("tile size and coordinate scale must be positive (got \(tileSize), \(coordScale))")
        }
        var cells: [Cell] = []
        cells.reserveCapacity(points.count)
        var seen: [Cell: Int] = [:]
        var duplicates: [Duplicate] = []
        func name(_ i: Int) -> String { names?[i] ?? "tile \(i)" }
        for (i, p) in points.enumerated() where !(p.x.isFinite && p.y.isFinite) {
            throw SlideEncoderError.badInput("\(name(i)): coordinates (\(p.x), \(p.y)) are not finite numbers")
        }
        let shift = (x: max(0, -(points.map { $0.x }.min() ?? 0)), y: max(0, -(points.map { $0.y }.min() ?? 0)))
        for (i, p) in points.enumerated() {
            let column = ((p.x + shift.x) * coordScale / tileSize).rounded(.down)
            let row = ((p.y + shift.y) * coordScale / tileSize).rounded(.down)
            guard column >= 0, row >= 0, column < Double(size), row < Double(size) else {
                throw SlideEncoderError.coordinateOutsideGrid(
                    tile: name(i), x: p.x, y: p.y,
                    column: column, row: row, gridSize: size)
            }
            let cell = Cell(column: Int(column), row: Int(row))
            if let first = seen[cell] {
                duplicates.append(Duplicate(first: name(first), second: name(i), cell: cell))
            } else {
                seen[cell] = i
            }
            cells.append(cell)
        }
        return Placement(cells: cells, duplicates: duplicates, shift: shift)
    }
}
