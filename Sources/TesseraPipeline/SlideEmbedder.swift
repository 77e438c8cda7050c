import TesseraCore
import TesseraModels

/// Runs a slide encoder on one slide's tile embeddings: places the tiles on the model's
/// position grid (from their level-0 pixel coordinates), runs the forward pass and returns
/// every slide-level output. Used by `tessera slide`, `tessera embed --slide-encoder`, the
/// slide pipeline and the distillation's teacher and student alike: `cells` is the one
/// placement policy.
public struct SlideEmbedder: Sendable {
    public let model: SlideEncoder
    public private(set) var grid: SlideGrid
    public var pool: SlidePool
    /// The grid's tile size was given (an option), not the model's default: it then stays as
    /// given whatever the tiles' geometry says.
    public let tileSizeGiven: Bool

    /// `tileSize` / `coordScale` override the model's grid (see `SlideGrid`).
    public init(model: SlideEncoder, tileSize: Double? = nil, coordScale: Double = 1, pool: SlidePool = .mean) {
        self.model = model
        grid = model.grid(tileSize: tileSize, coordScale: coordScale)
        self.pool = pool
        tileSizeGiven = tileSize != nil
    }

    /// This embedder for tiles cut with `geometry` (nil: unknown): unless a tile size was given,
    /// a grid cell is one tile, `geometry.levelZeroTileSize` level-0 pixels, rather than the
    /// model's default (256, right for level-0 tiles of 256 pixels only).
    public func placing(_ geometry: TileGeometry?) -> SlideEmbedder {
        guard let geometry, !tileSizeGiven else { return self }
        var placed = self
        placed.grid.tileSize = geometry.levelZeroTileSize
        return placed
    }

    public enum Event {
        /// `done` of `total` layers run.
        case layers(done: Int, total: Int)
        /// Something the user should know that does not stop the run (tiles sharing a cell).
        case warning(String)
    }

    /// tileEmbeds [N, in_chans], coords [N, 2] (x, y); `names` (N, when known) name the
    /// tiles in errors and warnings. `lastLayerInput` [N + 1, D], when given, receives the
    /// last layer's input (for `SlideEncoder.classTokenAttention`).
    public func embed(tileEmbeds: Tensor, coords: Tensor, names: [String]? = nil,
                      lastLayerInput: UnsafeMutablePointer<Float>? = nil,
                      onEvent: (Event) -> Void = { _ in }) throws(SlideEncoderError) -> SlideEmbeddings {
        let cells = try self.cells(tileEmbeds: tileEmbeds, coords: coords, names: names) { onEvent(.warning($0)) }
        onEvent(.layers(done: 0, total: model.config.depth))
        // withoutActuallyEscaping rethrows untyped errors: the typed error travels in a Result.
        return try withoutActuallyEscaping(onEvent) { onEvent in
            Result { () throws(SlideEncoderError) in
                try model.forward(tileEmbeds: tileEmbeds, cells: cells, lastLayerInput: lastLayerInput) { done, total in
                    onEvent(.layers(done: done, total: total))
                }
            }
        }.get()
    }

    /// The grid cell of every tile (tileEmbeds [N, in_chans], coords [N, 2]): a tile off the grid
    /// or a non-finite embedding is an error naming the tile; tiles that share a cell are a
    /// warning (the first five by name, then a count).
    public func cells(tileEmbeds: Tensor, coords: Tensor, names: [String]? = nil,
                      onWarning: (String) -> Void = { _ in }) throws(SlideEncoderError) -> [SlideGrid.Cell] {
        let placement = try grid.place(coords: coords, names: names)
        try Self.checkFinite(tileEmbeds, names: names)
        if placement.shift != (0, 0) {
            onWarning("tiles start left of or above the slide: placed on the slide encoder's grid shifted by "
                + "(\(SlideEncoderError.format(placement.shift.x)), \(SlideEncoderError.format(placement.shift.y))) pixels")
        }
        for duplicate in placement.duplicates.prefix(5) { onWarning(duplicate.description) }
        if placement.duplicates.count > 5 {
            onWarning("\(placement.duplicates.count) tiles share a grid cell with an earlier tile")
        }
        return placement.cells
    }

    /// A NaN or infinite tile embedding would make every slide output NaN: refused, naming the tile.
    static func checkFinite(_ tileEmbeds: Tensor, names: [String]?) throws(SlideEncoderError) {
        guard tileEmbeds.rank == 2, tileEmbeds.dtype.isFloatingPoint else { return }  // the model reports shapes
        let width = tileEmbeds.shape[1]
        for i in 0..<tileEmbeds.count {
            let v = tileEmbeds.scalar(at: i)
            guard v.isFinite else {
                let row = i / max(width, 1)
                throw SlideEncoderError.badInput("\(names?[row] ?? "tile \(row)"): tile_embeds[\(row), \(i % width)] is \(v)")
            }
        }
    }
}
