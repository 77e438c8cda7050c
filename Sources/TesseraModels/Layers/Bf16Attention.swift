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
        let scale = 1 / Float(headDim).squareRoot()
        let path = tk_best_path()
        AttentionScratch<Bf16Rows>.eachHead(out: out, qkv: qkv, batch: batch, tokens: tokens, heads: heads,
                                            headDim: headDim) { s, head in
            s.keys.round(head.keys, ldx: head.stride, rows: tokens, cols: headDim)
            let keys = s.keys.pack(path, rows: tokens, cols: headDim)
            defer { tk_bf16_weights_free(keys) }
            s.queries.round(head.queries, ldx: head.stride, rows: tokens, cols: headDim)
            s.queries.multiply(keys, rows: tokens, columns: 0..<tokens, y: s.scores, ldy: tokens, add: false)
            VectorMath.scale(s.scores, count: tokens * tokens, by: scale)
            Softmax.forward(s.scores, rows: tokens, cols: tokens)
            s.values.round(s.valuesT, ldx: tokens, rows: headDim, cols: tokens)
            let values = s.values.pack(path, rows: headDim, cols: tokens)
            defer { tk_bf16_weights_free(values) }
            s.weights.round(s.scores, ldx: tokens, rows: tokens, cols: tokens)
            s.weights.multiply(values, rows: tokens, columns: 0..<headDim, y: head.output, ldy: head.dim, add: false)
        }
    }
}
