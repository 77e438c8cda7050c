import TesseraCore
import TesseraModels

/// Runs a slide encoder on one slide's tile embeddings: places the tiles on the model's
/// position grid (from their level-0 pixel coordinates), runs the forward pass and returns
/// every slide-level output. Used by `tessera slide`, `tessera embed --slide-encoder` and the
/// slide-folder pipeline alike.
public struct SlideEmbedder: Sendable {
    public let model: SlideEncoder
    public let grid: SlideGrid
    public var pool: SlidePool

    /// `tileSize` / `coordScale` override the model's grid (see `SlideGrid`).
    public init(model: SlideEncoder, tileSize: Double? = nil, coordScale: Double = 1, pool: SlidePool = .mean) {
        self.model = model
        grid = model.grid(tileSize: tileSize, coordScale: coordScale)
        self.pool = pool
    }

    public enum Event {
        /// `done` of `total` layers run.
        case layers(done: Int, total: Int)
        /// Something the user should know that does not stop the run (tiles sharing a cell).
        case warning(String)
    }

    /// tileEmbeds [N, in_chans], coords [N, 2] (x, y); `names` (N, when known) name the
    /// tiles in errors and warnings.
    public func embed(tileEmbeds: Tensor, coords: Tensor, names: [String]? = nil,
                      onEvent: (Event) -> Void = { _ in }) throws -> SlideEmbeddings {
        let placement = try grid.place(coords: coords, names: names)
        for duplicate in placement.duplicates.prefix(5) { onEvent(.warning(duplicate.description)) }
        if placement.duplicates.count > 5 {
            onEvent(.warning("\(placement.duplicates.count) tiles share a grid cell with an earlier tile"))
        }
        onEvent(.layers(done: 0, total: model.config.depth))
        return try withoutActuallyEscaping(onEvent) { onEvent in
            try model.forward(tileEmbeds: tileEmbeds, cells: placement.cells) { done, total in
                onEvent(.layers(done: done, total: total))
            }
        }
    }
}
