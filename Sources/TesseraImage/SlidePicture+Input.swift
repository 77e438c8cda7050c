import TesseraCore

extension SlidePicture {
    /// Coordinates farther than this from the origin are refused: no slide is that large, and the
    /// picture's arithmetic stays far inside Int.
    public static let coordinateLimit = 1 << 31

    /// Per-tile values `tensor` (named `name`: `tile_embeds` [N, D], or `class_attention` [N] when
    /// `vector`) as f32 [N, D] (N > 0) and `coords` [N, 2] as doubles, checked: present, floating
    /// point, of those shapes, finite (and the coordinates within `coordinateLimit`).
    static func checked(_ tensor: Tensor?, named name: String, vector: Bool = false,
                        coords: Tensor?) throws(SlidePictureError) -> (Tensor, [Double]) {
        guard let tensor else { throw .missing(tensor: name) }
        guard let coords else { throw .missing(tensor: "coords") }
        for (label, t) in [(name, tensor), ("coords", coords)] where !t.dtype.isFloatingPoint {
            throw .notFloatingPoint(tensor: label, dtype: t.dtype)
        }
        guard tensor.rank == (vector ? 1 : 2) else { throw .badShape(tensor: name, shape: tensor.shape, expected: vector ? "[N]" : "[N, D]") }
        guard coords.rank == 2, coords.shape[1] == 2 else { throw .badShape(tensor: "coords", shape: coords.shape, expected: "[N, 2]") }
        guard tensor.shape[0] == coords.shape[0] else { throw .rowCountsDiffer(tensor: name, rows: tensor.shape[0], coords: coords.shape[0]) }
        guard tensor.shape[0] > 0 else { throw .noTiles }
        let width = vector ? 1 : tensor.shape[1]
        guard width > 0 else { throw .badShape(tensor: name, shape: tensor.shape, expected: "[N, D] with D > 0") }
        let values = tensor.float32()
        let bad = values.withFloats { v in v.firstIndex { !$0.isFinite } }
        if let bad { throw .nonFinite(tensor: name, row: bad / width, column: bad % width) }
        let embeds = vector ? Tensor(shape: [tensor.shape[0], 1], floats: values.floats()) : values
        var positions = [Double](repeating: 0, count: coords.count)
        for i in 0..<coords.count {
            positions[i] = coords.scalar(at: i)
            guard positions[i].isFinite else { throw .nonFinite(tensor: "coords", row: i / 2, column: i % 2) }
            guard abs(positions[i]) <= Double(coordinateLimit) else { throw .coordinateOutOfRange(row: i / 2, column: i % 2, limit: coordinateLimit) }
        }
        return (embeds, positions)
    }

    /// The tiles' spacing: the smallest positive step between distinct x values or between distinct
    /// y values of `coords` [N, 2] (a tiling's grid step is its tile size); nil when every tile
    /// shares one x and one y.
    public static func gridStep(_ coords: [Double]) -> Double? {
        var step: Double?
        for axis in 0..<2 {
            let values = stride(from: axis, to: coords.count, by: 2).map { coords[$0] }.sorted()
            for (a, b) in zip(values, values.dropFirst()) where b > a { step = min(step ?? (b - a), b - a) }
        }
        return step
    }
}
