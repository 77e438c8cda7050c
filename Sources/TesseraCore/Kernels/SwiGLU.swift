import CPosix

/// timm's SwiGLUPacked MLP gate: the fc1 output [rows, 2F] is split into
/// halves a (first F) and b (last F); the gate is silu(a) * b, silu(a) = a * sigmoid(a).
public enum SwiGLU {
    /// out[rows, F] = silu(inp[:, :F]) * inp[:, F:]   for inp[rows, 2F]
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, hidden: Int) {
        Parallel.chunks(rows) { range in
            for r in range {
                let a = inp + r * 2 * hidden, b = a + hidden, y = out + r * hidden
                VectorMath.map(out: y, inp: a, count: hidden) { x in x / (1 + VectorMath.exp(-x)) }
                for j in 0..<hidden { y[j] *= b[j] }
            }
        }
    }

    /// dinp[rows, 2F] += gradients of out = silu(a) * b (a = inp[:, :F], b = inp[:, F:]):
    /// da = dout * b * silu'(a), silu'(a) = s (1 + a (1 - s)) with s = sigmoid(a); db = dout * silu(a).
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, rows: Int, hidden: Int) {
        Parallel.chunks(rows) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: hidden) { sigmoid in
                let s = sigmoid.baseAddress!
                for r in range {
                    let a = inp + r * 2 * hidden, b = a + hidden, dy = dout + r * hidden
                    let da = dinp + r * 2 * hidden, db = da + hidden
                    VectorMath.map(out: s, inp: a, count: hidden) { x in 1 / (1 + VectorMath.exp(-x)) }
                    for j in 0..<hidden {
                        let x = a[j]
                        da[j] += dy[j] * b[j] * (s[j] * (1 + x * (1 - s[j])))
                        db[j] += dy[j] * x * s[j]
                    }
                }
            }
        }
    }
}
