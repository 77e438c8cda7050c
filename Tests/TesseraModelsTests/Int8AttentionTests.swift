import TesseraCore
import TesseraModels
import TestSupport
import XCTest

/// Int8Attention against the f32 attention (MultiHeadAttention, tested against autograd in
/// BackwardTests) on seeded random q, k, v: a ViT-S/16's shape and the edge cases of the
/// kernels (one token, tokens and head widths that fill no panel, several images).
final class Int8AttentionTests: XCTestCase {
    private func qkv(batch: Int, tokens: Int, heads: Int, headDim: Int, seed: UInt64) -> [Float] {
        var random = Xorshift(seed: seed)
        // Keys and queries of the size a LayerNorm-ed ViT gives them, so that some rows attend sharply.
        return (0..<(batch * tokens * 3 * heads * headDim)).map { _ in Float.random(in: -2...2, using: &random) }
    }

    private func outputs(_ packed: [Float], batch: Int, tokens: Int, heads: Int, headDim: Int) -> (f32: [Float], int8: [Float]) {
        let count = batch * tokens * heads * headDim
        var f32 = [Float](repeating: 0, count: count), int8 = f32
        MultiHeadAttention.forward(out: &f32, qkv: packed, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        Int8Attention.forward(out: &int8, qkv: packed, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        return (f32, int8)
    }

    func testCloseToF32() {
        for (batch, tokens, heads, headDim) in [(2, 197, 6, 64), (1, 1, 1, 8), (1, 5, 2, 12), (3, 70, 3, 20), (1, 257, 2, 36)] {
            let packed = qkv(batch: batch, tokens: tokens, heads: heads, headDim: headDim, seed: UInt64(tokens))
            let (f32, int8) = outputs(packed, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
            var worst = 1.0
            for row in 0..<(batch * tokens * heads) {
                let slice = (row * headDim)..<((row + 1) * headDim)
                worst = min(worst, QuantisedModelTests.cosine(f32[slice], int8[slice]))
            }
            XCTAssertGreaterThan(worst, 0.999, "\(batch)x\(tokens) tokens, \(heads) heads of \(headDim): smallest cosine per head row")
        }
    }

    /// Where f32 has a non-finite output row, so has int8 (NaN), and nowhere else: a non-finite
    /// key or value spoils its whole head, a non-finite query its own row.
    func testNonFiniteInputsStayWhereF32PutsThem() {
        let (batch, tokens, heads, headDim) = (2, 9, 3, 8)
        let dim = heads * headDim, stride = 3 * dim
        var packed = qkv(batch: batch, tokens: tokens, heads: heads, headDim: headDim, seed: 7)
        packed[0 * tokens * stride + 4 * stride + dim + 1 * headDim + 2] = .nan            // image 0, token 4, key, head 1
        packed[1 * tokens * stride + 6 * stride + 2 * headDim + 5] = .infinity             // image 1, token 6, query, head 2
        packed[1 * tokens * stride + 2 * stride + 2 * dim + 0 * headDim + 1] = -.infinity  // image 1, token 2, value, head 0
        let (f32, int8) = outputs(packed, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        for b in 0..<batch {
            for t in 0..<tokens {
                for h in 0..<heads {
                    let start = (b * tokens + t) * dim + h * headDim
                    let row = Array(int8[start..<(start + headDim)]), reference = Array(f32[start..<(start + headDim)])
                    XCTAssertEqual(row.contains { !$0.isFinite }, reference.contains { !$0.isFinite },
                                   "image \(b), token \(t), head \(h)")
                }
            }
        }
        XCTAssertTrue(int8.contains { $0.isNaN })
    }
}
