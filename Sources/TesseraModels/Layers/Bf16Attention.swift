import CTesseraKernels
import TesseraCore

/// `MultiHeadAttention.forward` with both of its products in bf16, for tile encoders computed
/// in bf16 (docs/models.md §7). Per (image, head):
/// - S = (Q Kᵀ) · headDim^-½: the keys, rounded to bf16, are the weights of the product, the
///   queries, rounded, its activations; the scale is applied to S in f32;
/// - P = softmax(S) in f32, as `Softmax.forward` computes it;
/// - O = P V: Vᵀ rounded is the weights, P's rows rounded the activations.
/// Every kernel path and thread count gives the same bits (tk_bf16_gemm).
public enum Bf16Attention {
    /// out[batch·tokens, heads·headDim] from qkv[batch·tokens, 3·heads·headDim] (q, k, v in that
    /// order, head h of each at columns h·headDim..<(h+1)·headDim).
    public static func forward(out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
                               batch: Int, tokens: Int, heads: Int, headDim: Int) {
        let dim = heads * headDim, stride = 3 * dim
        let scale = 1 / Float(headDim).squareRoot()
        let path = tk_best_path()
        Parallel.chunks(batch * heads) { range in
            let s = Scratch(tokens: tokens, headDim: headDim)
            defer { s.free() }
            for bh in range {
                let b = bh / heads, h = bh % heads
                let q = qkv + b * tokens * stride + h * headDim, k = q + dim, v = q + 2 * dim
                VectorMath.transpose(v, ld: stride, rows: tokens, cols: headDim, into: s.valuesT)
                s.keys.round(k, ldx: stride, rows: tokens, cols: headDim)
                let keys = s.keys.pack(path, rows: tokens, cols: headDim)
                defer { tk_bf16_weights_free(keys) }
                s.queries.round(q, ldx: stride, rows: tokens, cols: headDim)
                s.queries.multiply(keys, rows: tokens, columns: 0..<tokens, y: s.scores, ldy: tokens, add: false)
                VectorMath.scale(s.scores, count: tokens * tokens, by: scale)
                Softmax.forward(s.scores, rows: tokens, cols: tokens)
                s.values.round(s.valuesT, ldx: tokens, rows: headDim, cols: tokens)
                let values = s.values.pack(path, rows: headDim, cols: tokens)
                defer { tk_bf16_weights_free(values) }
                s.weights.round(s.scores, ldx: tokens, rows: tokens, cols: tokens)
                s.weights.multiply(values, rows: tokens, columns: 0..<headDim, y: out + b * tokens * dim + h * headDim,
                                   ldy: dim, add: false)
            }
        }
    }

    /// One thread's buffers for one (image, head).
    private struct Scratch {
        let keys, queries, values, weights: Bf16Rows
        let scores, valuesT: UnsafeMutablePointer<Float>

        init(tokens: Int, headDim: Int) {
            keys = Bf16Rows(rows: tokens, cols: headDim)
            queries = Bf16Rows(rows: tokens, cols: headDim)
            values = Bf16Rows(rows: headDim, cols: tokens)
            weights = Bf16Rows(rows: tokens, cols: tokens)
            scores = .allocate(capacity: tokens * tokens)
            valuesT = .allocate(capacity: headDim * tokens)
        }

        func free() {
            for r in [keys, queries, values, weights] { r.free() }
            for buffer in [scores, valuesT] { buffer.deallocate() }
        }
    }
}
