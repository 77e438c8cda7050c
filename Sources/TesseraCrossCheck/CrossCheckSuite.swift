import CTesseraKernels
import TesseraCore
import TesseraImage
import TesseraModels

/// What the cross-check computes: the tile transform of given PNGs, a few kernels
/// on small seeded inputs (odd sizes, every GEMM transpose, one GEMM large enough to
/// be split across threads), and a bundle's models on a slide's tiles (`ModelSuite`).
enum CrossCheckSuite {
    static func run(images: [String], bundle: String, tiles: [String]) throws(CrossCheckError) -> ResultSet {
        var results = ResultSet()
        for path in images {
            let tile: Tensor
            do {
                tile = try TilePreprocessor.gigapath.tensor(path: path)
            } catch {
                throw CrossCheckError(message: error.description)
            }
            let name = "tile/" + fileName(path)
            guard !results.contains(name) else { throw CrossCheckError(message: "\(path): a second image named \(name)") }
            results.append(name, shape: tile.shape, tile.floats())
        }
        var random = SeededRandom(seed: 0x7E55_E4A0)
        gemm(into: &results, &random)
        layerNorm(into: &results, &random)
        softmax(into: &results, &random)
        gelu(into: &results, &random)
        attention(into: &results, &random)
        dilatedAttention(into: &results, &random)
        bf16Product(into: &results, &random)
        classifierProbabilities(into: &results, &random)
        try ModelSuite.run(bundle: bundle, tiles: tiles, into: &results)
        return results
    }

    private static func fileName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    /// C = 0.75 op(A) op(B) + 0.5 C for every transpose pair, then one product above
    /// `GEMM`'s threading threshold.
    private static func gemm(into results: inout ResultSet, _ random: inout SeededRandom) {
        let shapes = [("nn", false, false, 37, 29, 53), ("nt", false, true, 37, 29, 53),
                      ("tn", true, false, 37, 29, 53), ("tt", true, true, 37, 29, 53),
                      ("split", false, true, 96, 80, 64)]
        for (name, transA, transB, m, n, k) in shapes {
            let a = random.floats(m * k), b = random.floats(k * n)
            var c = random.floats(m * n)
            GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: transA ? m : k,
                       b: b, ldb: transB ? k : n, beta: 0.5, c: &c, ldc: n)
            results.append("gemm/" + name, shape: [m, n], c)
        }
    }

    private static func layerNorm(into results: inout ResultSet, _ random: inout SeededRandom) {
        let rows = 17, cols = 96
        let x = random.floats(rows * cols, scale: 3, offset: 1)
        let weight = random.floats(cols), bias = random.floats(cols)
        var out = [Float](repeating: 0, count: rows * cols)
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        LayerNorm.forward(out: &out, mean: &mean, rstd: &rstd, inp: x, weight: weight, bias: bias,
                          rows: rows, cols: cols, eps: 1e-6)
        results.append("layernorm/out", shape: [rows, cols], out)
        results.append("layernorm/mean", shape: [rows], mean)
        results.append("layernorm/rstd", shape: [rows], rstd)
    }

    private static func softmax(into results: inout ResultSet, _ random: inout SeededRandom) {
        let rows = 9, cols = 33
        var x = random.floats(rows * cols, scale: 8)
        var lse = [Float](repeating: 0, count: rows)
        Softmax.forward(&x, lse: &lse, rows: rows, cols: cols)
        results.append("softmax/probs", shape: [rows, cols], x)
        results.append("softmax/lse", shape: [rows], lse)
    }

    private static func gelu(into results: inout ResultSet, _ random: inout SeededRandom) {
        let x = random.floats(1000, scale: 6)
        var out = [Float](repeating: 0, count: x.count)
        GELU.forward(out: &out, inp: x, count: x.count)
        results.append("gelu", shape: [x.count], out)
    }

    private static func attention(into results: inout ResultSet, _ random: inout SeededRandom) {
        let batch = 2, tokens = 13, heads = 3, headDim = 8, dim = heads * headDim
        let qkv = random.floats(batch * tokens * 3 * dim, scale: 2)
        var out = [Float](repeating: 0, count: batch * tokens * dim)
        var probs = [Float](repeating: 0, count: batch * heads * tokens * tokens)
        MultiHeadAttention.forward(out: &out, probs: &probs, qkv: qkv, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        results.append("attention/out", shape: [batch, tokens, dim], out)
        results.append("attention/probs", shape: [batch, heads, tokens, tokens], probs)
    }

    /// A classifier's probabilities for each task setting (softmax; a sigmoid per label).
    private static func classifierProbabilities(into results: inout ResultSet, _ random: inout SeededRandom) {
        let logits = random.floats(7, scale: 6)
        for setting in SlideClassifier.Setting.allCases {
            results.append("classifier/" + setting.rawValue, shape: [logits.count], setting.probabilities(logits: logits))
        }
    }

    /// Three branches, the last with more segment than tokens and a ratio that pads heads.
    private static func dilatedAttention(into results: inout ResultSet, _ random: inout SeededRandom) {
        let tokens = 50, heads = 6, headDim = 8, dim = heads * headDim
        let q = random.floats(tokens * dim, scale: 2), k = random.floats(tokens * dim, scale: 2)
        let v = random.floats(tokens * dim)
        var out = [Float](repeating: 0, count: tokens * dim)
        let branches = [DilatedAttention.Branch(segmentLength: 16, ratio: 1),
                        DilatedAttention.Branch(segmentLength: 32, ratio: 2),
                        DilatedAttention.Branch(segmentLength: 64, ratio: 4)]
        for bf16 in [false, true] {
            DilatedAttention.forward(out: &out, q: q, k: k, v: v, tokens: tokens, heads: heads, headDim: headDim,
                                     branches: branches, bf16: bf16)
            results.append(bf16 ? "dilated_attention/bf16" : "dilated_attention", shape: [tokens, dim], out)
        }
    }

    /// A bf16 product (activations rounded, weights packed for the best path: neon-bf16,
    /// neon-dotprod or neon under qemu; avx512bf16 or another on the host), odd sizes.
    private static func bf16Product(into results: inout ResultSet, _ random: inout SeededRandom) {
        let m = 37, n = 29, k = 53
        let x = random.floats(m * k, scale: 3), w = random.floats(n * k)
        let activations = Bf16Rows(rows: m, cols: k), weights = Bf16Rows(rows: n, cols: k)
        defer { activations.free(); weights.free() }
        activations.round(x, ldx: k, rows: m, cols: k)
        weights.round(w, ldx: k, rows: n, cols: k)
        let packed = weights.pack(tk_best_path(), rows: n, cols: k)
        defer { tk_bf16_weights_free(packed) }
        var y = [Float](repeating: 0, count: m * n)
        activations.multiply(packed, rows: m, columns: 0..<n, y: &y, ldy: n, add: false)
        results.append("bf16_product", shape: [m, n], y)
    }
}
