/// Multi-head softmax self-attention over packed qkv rows (timm `Attention`).
public enum Attention {
    /// out[batch*tokens, heads*headDim] = per (b, h): softmax(Q K^T * headDim^-0.5) V,
    /// where qkv[batch*tokens, 3*heads*headDim] holds q, k, v in that order and head h
    /// of each at columns h*headDim..<(h+1)*headDim. probs[batch, heads, tokens, tokens]
    /// keeps the attention weights when given (for the backward pass).
    public static func forward(out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>? = nil,
                               qkv: UnsafePointer<Float>, batch: Int, tokens: Int, heads: Int, headDim: Int) {
        let dim = heads * headDim, stride = 3 * dim
        let scale = 1 / Float(headDim).squareRoot()
        Parallel.chunks(batch * heads) { range in
            let scratch = probs == nil ? UnsafeMutablePointer<Float>.allocate(capacity: tokens * tokens) : nil
            defer { scratch?.deallocate() }
            for bh in range {
                let b = bh / heads, h = bh % heads
                let p = probs.map { $0 + bh * tokens * tokens } ?? scratch!
                let q = qkv + b * tokens * stride + h * headDim
                // p[t, s] = scale * q[t] · k[s]
                GEMM.sgemm(transB: true, m: tokens, n: tokens, k: headDim, alpha: scale,
                           a: q, lda: stride, b: q + dim, ldb: stride, c: p, ldc: tokens)
                Softmax.forward(p, rows: tokens, cols: tokens)
                // out[t, h] = sum_s p[t, s] v[s]
                GEMM.sgemm(m: tokens, n: headDim, k: tokens, a: p, lda: tokens, b: q + 2 * dim, ldb: stride,
                           c: out + b * tokens * dim + h * headDim, ldc: dim)
            }
        }
    }
}
