import XCTest
import TesseraCore
import TestSupport

/// The class token's attention weights are the weights dilated attention's forward pass gives
/// row 0: with the same values in every head, the head-mean of out[0] is Σ_p a[p] · v[p].
final class DilatedAttentionClassTokenTests: XCTestCase {
    func testWeightsReproduceTheForwardPassOfRowZero() {
        var rng = Xorshift(seed: 11)
        // Several segments, dilations and head groups (heads 4, r up to 8: padded head groups too).
        let branches = [(5, 1), (12, 2), (24, 4), (40, 8)].map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) }
        for tokens in [1, 7, 37, 100] {
            let heads = 4, headDim = 8, dim = heads * headDim
            let q = (0..<tokens * dim).map { _ in Float.random(in: -1...1, using: &rng) }
            let k = (0..<tokens * dim).map { _ in Float.random(in: -1...1, using: &rng) }
            let u = (0..<tokens * headDim).map { _ in Float.random(in: -1...1, using: &rng) }
            let v = (0..<tokens * dim).map { i in u[(i / dim) * headDim + i % headDim] }
            var out = [Float](repeating: 0, count: tokens * dim)
            out.withUnsafeMutableBufferPointer {
                DilatedAttention.forward(out: $0.baseAddress!, q: q, k: k, v: v, tokens: tokens, heads: heads, headDim: headDim,
                                         branches: branches)
            }
            let a = DilatedAttention.classTokenWeights(q0: q, k: k, tokens: tokens, heads: heads, headDim: headDim, branches: branches)
            XCTAssertEqual(a.count, tokens)
            XCTAssertTrue(a.allSatisfy { $0 >= 0 }, "weights are probabilities")
            XCTAssertLessThanOrEqual(a.reduce(0, +), 1 + 1e-12, "padded keys take the rest")
            for c in 0..<headDim {
                let headMean = (0..<heads).reduce(0.0) { $0 + Double(out[$1 * headDim + c]) } / Double(heads)
                let weighted = (0..<tokens).reduce(0.0) { $0 + a[$1] * Double(u[$1 * headDim + c]) }
                XCTAssertEqual(weighted, headMean, accuracy: 1e-5, "tokens \(tokens), column \(c)")
            }
        }
    }
}
