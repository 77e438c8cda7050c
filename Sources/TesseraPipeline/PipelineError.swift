import TesseraImage
import TesseraModels

/// Why a slide-folder run stopped; each message names the tile, folder or setting.
public enum PipelineError: Error, CustomStringConvertible {
    /// A tile that cannot be read, in a strict run.
    case tile(ImageDecodingError)
    /// The model does not take what the preprocessing makes.
    case configuration(String)
    case noReadableTile(count: Int)
    case noCoordinates(tile: String)
    /// A tile's position, as its name writes it, that float32 `coords` cannot hold exactly.
    case coordinateTooLarge(tile: String, axis: String, value: Int, limit: Int)
    /// The slide encoder refused the slide (a tile outside its grid, a non-finite embedding).
    case slide(SlideEncoderError)
    /// The hidden states could not be kept (`HiddenStateSink`).
    case hiddenStates(String)
    /// The tile encoder gave the tile at `tile` (row `row` of tile_embeds) a NaN or infinite
    /// embedding element, `value` in column `column`.
    case nonFinite(tile: String, row: Int, column: Int, value: Float)

    public var description: String {
        switch self {
        case .tile(let error): return error.description
        case .configuration(let text): return text
        case .noReadableTile(let n): return "none of the \(n) tiles could be read"
        case .noCoordinates(let tile):
            return "\(tile): no coordinates in the name (the slide encoder needs every tile named {x}x_{y}y.png)"
        case .coordinateTooLarge(let tile, let axis, let value, let limit):
            return "\(tile): \(axis) = \(value) is beyond \(limit), the largest position float32 coords hold exactly"
        case .slide(let error): return error.description
        case .hiddenStates(let text): return text
        case .nonFinite(let tile, let row, let column, let value):
            return "\(tile): tile_embeds[\(row), \(column)] is \(value): the tile encoder overflows f32 "
                + "(weights or tile transform beyond any trained model's)"
        }
    }
}
