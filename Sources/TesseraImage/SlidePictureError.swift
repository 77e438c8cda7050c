import TesseraCore

/// Why an output file cannot be drawn (`SlidePicture`): each case names the tensor and, for a
/// value, its row and column. The caller adds the file's name.
public enum SlidePictureError: Error, Equatable, CustomStringConvertible {
    /// A tensor the picture needs is not in the file.
    case missing(tensor: String)
    /// A tensor of integers or booleans where numbers with a fraction are expected.
    case notFloatingPoint(tensor: String, dtype: DType)
    /// A tensor of the wrong rank or width; `expected` says what it should be, e.g. "[N, 2]".
    case badShape(tensor: String, shape: [Int], expected: String)
    /// `tensor` (`tile_embeds`, `class_attention`) and `coords` describe different numbers of tiles.
    case rowCountsDiffer(tensor: String, rows: Int, coords: Int)
    /// N = 0: nothing to draw.
    case noTiles
    /// A NaN or infinity (after conversion to f32, as the PCA reads the values).
    case nonFinite(tensor: String, row: Int, column: Int)
    /// A coordinate too far from the origin for any picture of the slide.
    case coordinateOutOfRange(row: Int, column: Int, limit: Int)
    /// Every tile lies outside the slide of the background picture: not this output's slide.
    case tilesOutsideSlide(width: Int, height: Int)
    /// A picture width outside `SlidePicture.widths`.
    case badWidth(Int)

    public var description: String {
        switch self {
        case .missing(let tensor): return "no tensor '\(tensor)'"
        case .notFloatingPoint(let tensor, let dtype): return "'\(tensor)' is \(dtype), not floating point"
        case .badShape(let tensor, let shape, let expected):
            return "'\(tensor)' has shape \(Tensor.describe(shape)), expected \(expected)"
        case .rowCountsDiffer(let tensor, let rows, let coords):
            return "'\(tensor)' has \(rows) rows but 'coords' \(coords): they must describe the same tiles"
        case .noTiles: return "no tiles: 'coords' has 0 rows"
        case .nonFinite(let tensor, let row, let column): return "'\(tensor)'[\(row), \(column)] is not a finite number"
        case .coordinateOutOfRange(let row, let column, let limit):
            return "'coords'[\(row), \(column)] lies more than \(limit) pixels from the origin"
        case .tilesOutsideSlide(let width, let height):
            return "no tile lies on the slide (\(width) x \(height) level-0 pixels): the output is not of this slide"
        case .badWidth(let width):
            return "a picture width of \(width) pixels; it must be between \(SlidePicture.widths.lowerBound) and \(SlidePicture.widths.upperBound)"
        }
    }
}
