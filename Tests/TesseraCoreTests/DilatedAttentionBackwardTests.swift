import XCTest
import Foundation
import TesseraCore
import TestSupport

/// Dilated attention's backward pass against finite differences of a double-precision
/// reference written from docs/models.md §3.7, the merge weights held constant (detached).
final class DilatedAttentionBackwardTests: XCTestCase {
    typealias G = GradientCheck

    /// Per branch: outputs [tokens, heads*headDim] and lse [tokens, heads] (-1e8 where unseen).
    static func branchOutputs(_ q: [Double], _ k: [Double], _ v: [Double], tokens n: Int, heads: Int, headDim: Int,
                              branch: DilatedAttention.Branch) -> (out: [Double], lse: [Double]) {
        let dim = heads * headDim, r = branch.ratio
        let sl = min(branch.segmentLength, n), segments = (n + sl - 1) / sl
        let padded = (sl + r - 1) / r * r, rows = padded / r
        let headsPadded = (heads + r - 1) / r * r, perGroup = headsPadded / r
        var out = [Double](repeating: 0, count: n * dim), lse = [Double](repeating: -1e8, count: n * heads)
        for s in 0..<segments {
            for h in 0..<heads {
                let j = h / perGroup
                // group row i: input position s*sl + j + r*i when inside the segment and the sequence, else zero.
                func at(_ x: [Double], _ i: Int, _ c: Int) -> Double {
                    let local = j + r * i, pos = s * sl + local
                    return local < sl && pos < n ? x[pos * dim + h * headDim + c] : 0
                }
                for i in 0..<rows {
                    let row = s * padded + j + r * i
                    guard row < n else { continue }
                    let logits = (0..<rows).map { u in
                        (0..<headDim).reduce(0.0) { $0 + at(q, i, $1) * at(k, u, $1) } / Double(headDim).squareRoot()
                    }
                    let m = logits.max()!
                    let sum = logits.reduce(0) { $0 + exp($1 - m) }
                    lse[row * heads + h] = m + log(sum)
                    for c in 0..<headDim {
                        out[row * dim + h * headDim + c] = (0..<rows).reduce(0.0) { $0 + exp(logits[$1] - m) / sum * at(v, $1, c) }
                    }
                }
            }
        }
        return (out, lse)
    }

    func testBackwardMatchesFiniteDifferences() {
        let tokens = 11, heads = 3, headDim = 2, dim = heads * headDim
        // Several segments, padded heads, a padded segment end, and (5, 2): a segment length that is
        // not a multiple of the ratio, so outputs shift and a padded query lands on a real row.
        let branches = [(4, 1), (5, 2), (16, 4)].map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) }
        let q = G.random(tokens * dim, seed: 101, scale: 2), k = G.random(tokens * dim, seed: 102, scale: 2)
        let v = G.random(tokens * dim, seed: 103), dy = G.random(tokens * dim, seed: 104)

        // Merge weights from the unperturbed inputs, then held fixed.
        let parts = branches.map { Self.branchOutputs(q, k, v, tokens: tokens, heads: heads, headDim: headDim, branch: $0) }
        var weights = [[Double]](repeating: [Double](repeating: 0, count: tokens * heads), count: branches.count)
        for pair in 0..<(tokens * heads) {
            let m = parts.map { $0.lse[pair] }.max()!
            let e = parts.map { exp($0.lse[pair] - m) }, sum = e.reduce(0, +)
            for b in branches.indices { weights[b][pair] = e[b] / sum }
        }
        let merged = { (x: [[Double]]) -> [Double] in
            var out = [Double](repeating: 0, count: tokens * dim)
            for (b, branch) in branches.enumerated() {
                let o = Self.branchOutputs(x[0], x[1], x[2], tokens: tokens, heads: heads, headDim: headDim, branch: branch).out
                for i in 0..<out.count { out[i] += weights[b][i / headDim] * o[i] }
            }
            return out
        }
        var forward = [Float](repeating: 0, count: tokens * dim), lse = [Float](repeating: 0, count: branches.count * tokens * heads)
        DilatedAttention.forward(out: &forward, lse: &lse, q: q.floats, k: k.floats, v: v.floats, tokens: tokens, heads: heads,
                                 headDim: headDim, branches: branches)
        XCTAssertLessThan(relativeError(forward, merged([q, k, v]).floats), 1e-5, "the double reference is the kernel's forward")

        let num = G.numeric([q, k, v], w: dy, merged)
        var dq = [Float](repeating: 0.5, count: q.count), dk = dq, dv = dq   // accumulate onto 0.5
        var dkSum = [Float](repeating: 0.5, count: dim)
        DilatedAttention.backward(dq: &dq, dk: &dk, dv: &dv, dkSum: &dkSum, dout: dy.floats, lse: lse, q: q.floats, k: k.floats, v: v.floats,
                                  tokens: tokens, heads: heads, headDim: headDim, branches: branches)
        G.assertClose(dq.map { $0 - 0.5 }, num[0], "dilated attention dq")
        G.assertClose(dk.map { $0 - 0.5 }, num[1], "dilated attention dk")
        G.assertClose(dv.map { $0 - 0.5 }, num[2], "dilated attention dv")
        let columnSums = (0..<dim).map { c in (0..<tokens).reduce(0.0) { $0 + num[1][$1 * dim + c] } }
        G.assertClose(dkSum.map { $0 - 0.5 }, columnSums, "dilated attention dkSum (key bias)")
    }
}
