/// Multi-head softmax self-attention over packed qkv rows (timm `Attention`).
public enum MultiHeadAttention {
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

extension MultiHeadAttention {
    /// dqkv[batch*tokens, 3*heads*headDim] += gradients of `forward` from its saved
    /// probs[batch, heads, tokens, tokens] (P = softmax(S), S = scale * Q K^T, O = P V):
    /// dV = P^T dO;  dP = dO V^T;  dS = P * (dP - rowsum(dP * P));
    /// dQ = scale * dS K;  dK = scale * dS^T Q.
    public static func backward(dqkv: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                                qkv: UnsafePointer<Float>, probs: UnsafePointer<Float>,
                                batch: Int, tokens: Int, heads: Int, headDim: Int) {
        let dim = heads * headDim, stride = 3 * dim
        let scale = 1 / Float(headDim).squareRoot()
        Parallel.chunks(batch * heads) { range in
            let ds = UnsafeMutablePointer<Float>.allocate(capacity: tokens * tokens)
            defer { ds.deallocate() }
            for bh in range {
                let b = bh / heads, h = bh % heads
                let p = probs + bh * tokens * tokens
                let q = qkv + b * tokens * stride + h * headDim, k = q + dim, v = q + 2 * dim
                let dq = dqkv + b * tokens * stride + h * headDim, dk = dq + dim, dv = dq + 2 * dim
                let dO = dout + b * tokens * dim + h * headDim
                // dV[s] += sum_t P[t, s] dO[t]            (from O = P V)
                GEMM.sgemm(transA: true, m: tokens, n: headDim, k: tokens, a: p, lda: tokens,
                           b: dO, ldb: dim, beta: 1, c: dv, ldc: stride)
                // dP[t, s] = dO[t] · V[s]                  (from O = P V)
                GEMM.sgemm(transB: true, m: tokens, n: tokens, k: headDim, a: dO, lda: dim,
                           b: v, ldb: stride, c: ds, ldc: tokens)
                // dS from dP                               (from P = softmax(S))
                Softmax.backward(dx: ds, dp: ds, p: p, rows: tokens, cols: tokens)
                // dQ += scale * dS K;  dK += scale * dS^T Q   (from S = scale * Q K^T)
                GEMM.sgemm(m: tokens, n: headDim, k: tokens, alpha: scale, a: ds, lda: tokens,
                           b: k, ldb: stride, beta: 1, c: dq, ldc: stride)
                GEMM.sgemm(transA: true, m: tokens, n: headDim, k: tokens, alpha: scale, a: ds, lda: tokens,
                           b: q, ldb: stride, beta: 1, c: dk, ldc: stride)
            }
        }
    }
}
