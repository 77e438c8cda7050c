/// The token sequence of a ViT: a class token in front of the patch tokens,
/// position embeddings added to every slot (timm `_pos_embed`, no_embed_class=False).
public enum TokenEmbedding {
    /// Gradients of x[b] = [cls | patches[b]] + pos, accumulated: dpatches[batch, count, dim] += dout[:, 1:];
    /// dcls[dim] += sum_b dout[b, 0]; dpos[count + 1, dim] += sum_b dout[b].
    public static func backward(dpatches: UnsafeMutablePointer<Float>?, dcls: UnsafeMutablePointer<Float>?,
                                dpos: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                                batch: Int, count: Int, dim: Int) {
        let tokens = count + 1
        if let dpatches {
            Parallel.chunks(batch * count) { range in
                for bi in range {
                    let b = bi / count, i = bi % count
                    let dy = dout + (b * tokens + 1 + i) * dim, dx = dpatches + bi * dim
                    for c in 0..<dim { dx[c] += dy[c] }
                }
            }
        }
        for b in 0..<batch {
            let dy = dout + b * tokens * dim
            if let dcls { for c in 0..<dim { dcls[c] += dy[c] } }
            if let dpos { ColumnSum.accumulate(into: dpos, dy, rows: 1, cols: tokens * dim) }
        }
    }
}
