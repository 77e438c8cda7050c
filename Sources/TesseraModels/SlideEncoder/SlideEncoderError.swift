/// What can go wrong loading or running a slide encoder; every case says where.
public enum SlideEncoderError: Error, CustomStringConvertible {
    case noCheckpoint(directory: String)
    case missingTensor(name: String, file: String)
    case badConfig(path: String, reason: String)
    case notASlideEncoder(file: String, reason: String)
    case badInput(String)
    case weights(WeightMismatch)
    case coordinateOutsideGrid(tile: String, x: Double, y: Double, column: Double, row: Double, gridSize: Int)

    public var description: String {
        switch self {
        case .noCheckpoint(let dir):
            return "\(dir): no slide encoder checkpoint (slide_encoder.safetensors, slide_encoder.pth, model.safetensors, checkpoint.pt, or a single *.safetensors or *.pth)"
        case .missingTensor(let name, let file):
            return "\(file): tensor '\(name)' is missing"
        case .badConfig(let path, let reason):
            return "\(path): \(reason)"
        case .notASlideEncoder(let file, let reason):
            return "\(file): not a LongNet slide encoder: \(reason)"
        case .badInput(let reason):
            return reason
        case .weights(let mismatch):
            return mismatch.description
        case .coordinateOutsideGrid(let tile, let x, let y, let column, let row, let size):
            return "\(tile): coordinates (\(Self.format(x)), \(Self.format(y))) fall in grid cell (\(Self.format(column)), \(Self.format(row))), "
                + "outside the \(size) x \(size) grid of the slide encoder (check the tile size and the coordinate scale)"
        }
    }

    /// A whole number as an integer, anything else as Swift prints a Double.
    public static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
