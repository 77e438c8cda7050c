import CTesseraKernels
import TesseraCore

/// `MultiHeadAttention.forward` with both of its products in int8, for tile encoders whose
/// Linear layers are int8. Per (image, head):
/// - S = Q Kᵀ · headDim^-½: the keys, quantised per token, are the weights of the product,
///   the queries, quantised per token, its activations;
/// - P = softmax(S): E = exp(S - rowmax) quantised per row straight from S (tk_softmax_quantize_rows),
///   the normalisation folded into P's quantisation scales;
/// - O = P V: Vᵀ, quantised per channel over the tokens, is the weights, P's rows the activations.
/// Sums are exact in int32 and the epilogue is the kernels' fixed f32 one, so every kernel path
/// gives the same bits. formats/bundle.md (int8 compute) gives the accuracy this keeps.
public enum Int8Attention {
    /// out[batch·tokens, heads·headDim] from qkv[batch·tokens, 3·heads·headDim] (q, k, v in that
    /// order, head h of each at columns h·headDim..<(h+1)·headDim).
    public static func forward(out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>,
                        batch: Int, tokens: Int, heads: Int, headDim: Int) {
        let scale = 1 / Float(headDim).squareRoot()
        let path = tk_best_path()
        AttentionScratch<QuantisedRows>.eachHead(out: out, qkv: qkv, batch: batch, tokens: tokens, heads: heads,
                                                 headDim: headDim) { s, head in
            // A non-finite key or value leaves no output row of the head finite in f32: here all are NaN.
            guard s.keys.quantise(path, head.keys, ldx: head.stride, rows: tokens, cols: headDim),
                  s.values.quantise(path, s.valuesT, ldx: tokens, rows: headDim, cols: tokens) else {
                for t in 0..<tokens { (head.output + t * head.dim).update(repeating: .nan, count: headDim) }
                return
            }
            // S: the keys [tokens, headDim] as weights, the queries as activations (a
            // non-finite query makes its row NaN, through the products and softmax, as in f32).
            let keys = pack(path, s.keys, rows: tokens, cols: headDim)
            defer { tk_weights_free(keys) }
            s.queries.quantise(path, head.queries, ldx: head.stride, rows: tokens, cols: headDim)
            for t in 0..<tokens { s.queries.scale[t] *= scale }
            s.queries.multiply(keys, rows: tokens, columns: 0..<tokens, y: s.scores, ldy: tokens)
            // P = E / rowsum(E), E = exp(S - rowmax(S)): E's rows quantised, their scales divided
            // by the sums (which saves normalising P in f32), in one pass that stores no E.
            let status = tk_softmax_quantize_rows(path, s.scores, tokens, tokens, tokens, s.weights.q, s.weights.ldq,
                                                  s.weights.scale, s.weights.sum, nil)
            guarantee(status == TK_OK || status == TK_ERR_NONFINITE,
                      "tk_softmax_quantize_rows failed with status \(status.rawValue)")
            // O: Vᵀ [headDim, tokens] as weights, P's rows as activations.
            let values = pack(path, s.values, rows: headDim, cols: tokens)
            defer { tk_weights_free(values) }
            s.weights.multiply(values, rows: tokens, columns: 0..<headDim, y: head.output, ldy: head.dim)
        }
    }

    private static func pack(_ path: tk_path, _ r: QuantisedRows, rows: Int, cols: Int) -> OpaquePointer {
        var packed: OpaquePointer?
        let status = tk_weights_pack(path, r.q, r.ldq, rows, cols, r.scale, nil, &packed)
        guard status == TK_OK, let packed else { guaranteeFailure("tk_weights_pack failed with status \(status.rawValue)") }
        return packed
    }
}
