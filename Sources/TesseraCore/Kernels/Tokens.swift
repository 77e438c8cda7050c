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

/// Token pooling to one vector per sample: the class token (timm global_pool='token')
/// or the mean of the non-prefix tokens (global_pool='avg').
public enum TokenPool {
    public enum Mode: String, Sendable { case cls, mean }

    /// out[batch, dim] from x[batch, tokens, dim]: x[b, 0] (cls) or mean over t >= 1 of x[b, t] (mean).
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, mode: Mode,
                               batch: Int, tokens: Int, dim: Int) {
        for b in 0..<batch {
            let x = inp + b * tokens * dim, y = out + b * dim
            switch mode {
            case .cls:
                y.update(from: x, count: dim)
            case .mean:
                y.update(repeating: 0, count: dim)
                for t in 1..<tokens { for c in 0..<dim { y[c] += x[t * dim + c] } }
                for c in 0..<dim { y[c] /= Float(tokens - 1) }
            }
        }
    }

    /// dinp[batch, tokens, dim] += gradient of `forward`: dout[b] into token 0 (cls),
    /// or dout[b] / (tokens - 1) into every token t >= 1 (mean).
    public static func backward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, mode: Mode,
                                batch: Int, tokens: Int, dim: Int) {
        for b in 0..<batch {
            let dx = dinp + b * tokens * dim, dy = dout + b * dim
            switch mode {
            case .cls:
                for c in 0..<dim { dx[c] += dy[c] }
            case .mean:
                let inv = 1 / Float(tokens - 1)
                for t in 1..<tokens { for c in 0..<dim { dx[t * dim + c] += dy[c] * inv } }
            }
        }
    }
}
