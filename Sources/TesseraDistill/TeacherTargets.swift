import TesseraCore

/// What the teacher says about one slide's N tiles (docs/models.md §5.1): h_t, the last
/// block's output before the final norm, all T tokens [N, T, D_t] (f16 or f32); e_t, the tile
/// embeddings [N, D_t]; and s_t, the slide embedding with mean pooling [D].
public struct TeacherTargets: Sendable {
    public var hidden: Tensor
    public var tileEmbeds: Tensor
    public var slideEmbed: [Float]

    public init(hidden: Tensor, tileEmbeds: Tensor, slideEmbed: [Float]) {
        self.hidden = hidden
        self.tileEmbeds = tileEmbeds
        self.slideEmbed = slideEmbed
    }

    /// The targets of the tiles at `rows` (h_t and e_t rows); s_t is the caller's, since the
    /// teacher's slide embedding of a subset is a new forward pass.
    public func rows(_ rows: [Int], slideEmbed: [Float]) -> TeacherTargets {
        let n = hidden.shape[0], perTile = hidden.count / max(n, 1), width = tileEmbeds.shape[1]
        let h = Tensor(zeros: [rows.count] + hidden.shape.dropFirst(), dtype: hidden.dtype)
        let e = Tensor(zeros: [rows.count, width])
        let size = hidden.dtype.size
        for (i, r) in rows.enumerated() {
            h.storage.mutableBytes.baseAddress!.advanced(by: i * perTile * size)
                .copyMemory(from: hidden.bytes.baseAddress! + r * perTile * size, byteCount: perTile * size)
        }
        tileEmbeds.withFloats { source in
            for (i, r) in rows.enumerated() { (e.mutableFloatPointer + i * width).update(from: source.baseAddress! + r * width, count: width) }
        }
        return TeacherTargets(hidden: h, tileEmbeds: e, slideEmbed: slideEmbed)
    }
}
