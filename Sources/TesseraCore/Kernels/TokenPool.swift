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
