import TesseraCore

extension SlidePicture {
    /// Coordinates farther than this from the origin are refused: no slide is that large, and the
    /// picture's arithmetic stays far inside Int.
    public static let coordinateLimit = 1 << 31

    /// `tileEmbeds` as f32 [N, D] (N > 0) and `coords` [N, 2] as doubles, checked: present, floating
    /// point, of those shapes, finite (and the coordinates within `coordinateLimit`).
    static func checked(tileEmbeds: Tensor?, coords: Tensor?) throws(SlidePictureError) -> (Tensor, [Double]) {
        guard let tileEmbeds else { throw .missing(tensor: "tile_embeds") }
        guard let coords else { throw .missing(tensor: "coords") }
        for (name, tensor) in [("tile_embeds", tileEmbeds), ("coords", coords)] where !tensor.dtype.isFloatingPoint {
            throw .notFloatingPoint(tensor: name, dtype: tensor.dtype)
        }
        guard tileEmbeds.rank == 2 else { throw .badShape(tensor: "tile_embeds", shape: tileEmbeds.shape, expected: "[N, D]") }
        guard coords.rank == 2, coords.shape[1] == 2 else { throw .badShape(tensor: "coords", shape: coords.shape, expected: "[N, 2]") }
        guard tileEmbeds.shape[0] == coords.shape[0] else { throw .rowCountsDiffer(tileEmbeds: tileEmbeds.shape[0], coords: coords.shape[0]) }
        guard tileEmbeds.shape[0] > 0 else { throw .noTiles }
        guard tileEmbeds.shape[1] > 0 else { throw .badShape(tensor: "tile_embeds", shape: tileEmbeds.shape, expected: "[N, D] with D > 0") }
        let embeds = tileEmbeds.float32(), width = tileEmbeds.shape[1]
        let bad = embeds.withFloats { values in values.firstIndex { !$0.isFinite } }
        if let bad { throw .nonFinite(tensor: "tile_embeds", row: bad / width, column: bad % width) }
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
