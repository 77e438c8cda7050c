import CPosix
import CTesseraKernels

/// timm's SwiGLUPacked MLP gate: the fc1 output [rows, 2F] is split into
/// halves a (first F) and b (last F); the gate is silu(a) * b, silu(a) = a * sigmoid(a),
/// with the sigmoid from CTesseraKernels' `tk_sigmoid`.
public enum SwiGLU {
    /// out[rows, F] = silu(inp[:, :F]) * inp[:, F:]   for inp[rows, 2F]
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int, hidden: Int) {
        let path = tk_best_path()
        Parallel.chunks(rows) { range in
            for r in range {
                let a = inp + r * 2 * hidden, b = a + hidden, y = out + r * hidden
                sigmoid(path, a, into: y, count: hidden)
                for j in 0..<hidden { y[j] = a[j] * y[j] * b[j] }
            }
        }
    }

    /// dinp[rows, 2F] += gradients of out = silu(a) * b (a = inp[:, :F], b = inp[:, F:]):
    /// da = dout * b * silu'(a), silu'(a) = s (1 + a (1 - s)) with s = sigmoid(a); db = dout * silu(a).
    public static func backward(dinp: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                                dout: UnsafePointer<Float>, rows: Int, hidden: Int) {
        let path = tk_best_path()
        Parallel.chunks(rows) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: hidden) { buffer in
                let s = buffer.baseAddress!
                for r in range {
                    let a = inp + r * 2 * hidden, b = a + hidden, dy = dout + r * hidden
                    let da = dinp + r * 2 * hidden, db = da + hidden
                    sigmoid(path, a, into: s, count: hidden)
                    for j in 0..<hidden {
                        let x = a[j]
                        da[j] += dy[j] * b[j] * (s[j] * (1 + x * (1 - s[j])))
                        db[j] += dy[j] * x * s[j]
                    }
                }
            }
        }
    }

    /// s[count] = sigmoid(x[count]).
    static func sigmoid(_ path: tk_path, _ x: UnsafePointer<Float>, into s: UnsafeMutablePointer<Float>, count: Int) {
        let status = tk_sigmoid(path, x, s, count)
        guarantee(status == TK_OK, "tk_sigmoid failed with status \(status.rawValue)")
    }
}
