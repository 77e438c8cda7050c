import TesseraCore

/// One thread's buffers for one (image, head) of a packed attention (`Int8Attention`,
/// `Bf16Attention`): the keys, queries, Vᵀ and the softmax's weights prepared as `Rows`, the f32
/// scores [tokens, tokens] and Vᵀ [headDim, tokens] before it is prepared.
struct AttentionScratch<Rows: PreparedRows> {
    let keys, queries, values, weights: Rows
    let scores, valuesT: UnsafeMutablePointer<Float>

    init(tokens: Int, headDim: Int) {
        keys = Rows(rows: tokens, cols: headDim)
        queries = Rows(rows: tokens, cols: headDim)
        values = Rows(rows: headDim, cols: tokens)
        weights = Rows(rows: tokens, cols: tokens)
        scores = .allocate(capacity: tokens * tokens)
        valuesT = .allocate(capacity: headDim * tokens)
    }

    func free() {
        for r in [keys, queries, values, weights] { r.free() }
        for buffer in [scores, valuesT] { buffer.deallocate() }
    }

    /// The heads of qkv[batch·tokens, 3·heads·headDim] (q, k, v in that order, head h of each at
    /// columns h·headDim..<(h+1)·headDim; row stride `Head.stride`) across `Parallel`'s threads,
    /// each with its own scratch: `body` gets the head, with its Vᵀ already in scratch.valuesT,
    /// and writes its output rows at `Head.output` (row stride `Head.dim`) in out[batch·tokens, heads·headDim].
    static func eachHead(out: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, batch: Int, tokens: Int,
                         heads: Int, headDim: Int, _ body: (Self, Head) -> Void) {
        let dim = heads * headDim, stride = 3 * dim
        Parallel.chunks(batch * heads) { range in
            let scratch = Self(tokens: tokens, headDim: headDim)
            defer { scratch.free() }
            for bh in range {
                let b = bh / heads, h = bh % heads
                let q = qkv + b * tokens * stride + h * headDim
                VectorMath.transpose(q + 2 * dim, ld: stride, rows: tokens, cols: headDim, into: scratch.valuesT)
                body(scratch, Head(queries: q, keys: q + dim, output: out + b * tokens * dim + h * headDim, dim: dim))
            }
        }
    }

    /// One (image, head): where its queries and keys start (row stride `stride`) and its output.
    struct Head {
        let queries, keys: UnsafePointer<Float>
        let output: UnsafeMutablePointer<Float>
        let dim: Int
        var stride: Int { 3 * dim }
    }
}
