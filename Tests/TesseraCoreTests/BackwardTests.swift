import XCTest
import Foundation
import TesseraCore
import TestSupport

/// Every backward kernel against finite differences of a double-precision forward.
/// Gradient buffers start from non-zero values, so the checks also prove that the
/// kernels accumulate (+=) rather than overwrite.
final class BackwardTests: XCTestCase {
    typealias G = GradientCheck

    /// Runs `body` on a gradient buffer pre-filled with `prior` and returns what it added.
    private func accumulated(_ count: Int, seed: UInt64, _ body: (UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let prior = G.random(count, seed: seed).floats
        var buffer = prior
        buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return zip(buffer, prior).map { $0 - $1 }
    }

    private func linearRef(_ x: [Double], _ w: [Double], _ b: [Double], rows: Int, inF: Int, outF: Int) -> [Double] {
        var y = [Double](repeating: 0, count: rows * outF)
        for r in 0..<rows { for o in 0..<outF {
            var s = b.isEmpty ? 0 : b[o]
            for i in 0..<inF { s += x[r * inF + i] * w[o * inF + i] }
            y[r * outF + o] = s
        } }
        return y
    }

    func testLinear() {
        let rows = 5, inF = 7, outF = 4
        let x = G.random(rows * inF, seed: 1), w = G.random(outF * inF, seed: 2), b = G.random(outF, seed: 3)
        let dy = G.random(rows * outF, seed: 4)
        let num = G.numeric([x, w, b], w: dy) { linearRef($0[0], $0[1], $0[2], rows: rows, inF: inF, outF: outF) }
        let (xf, wf, dyf) = (x.floats, w.floats, dy.floats)
        var dw: [Float] = [], db: [Float] = []
        let dx = accumulated(rows * inF, seed: 5) { dxp in
            dw = accumulated(outF * inF, seed: 6) { dwp in
                db = accumulated(outF, seed: 7) { dbp in
                    Linear.backward(dinp: dxp, dweight: dwp, dbias: dbp, dout: dyf, inp: xf, weight: wf,
                                    rows: rows, inFeatures: inF, outFeatures: outF)
                }
            }
        }
        G.assertClose(dx, num[0], "linear dinp")
        G.assertClose(dw, num[1], "linear dweight")
        G.assertClose(db, num[2], "linear dbias")
    }

    func testLayerNorm() {
        let rows = 4, cols = 9
        let eps = 1e-5
        let x = G.random(rows * cols, seed: 11, scale: 2), w = G.random(cols, seed: 12), b = G.random(cols, seed: 13)
        let dy = G.random(rows * cols, seed: 14)
        let num = G.numeric([x, w, b], w: dy) { a in
            var y = [Double](repeating: 0, count: rows * cols)
            for r in 0..<rows {
                let row = a[0][(r * cols)..<((r + 1) * cols)]
                let m = row.reduce(0, +) / Double(cols)
                let v = row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(cols)
                for c in 0..<cols { y[r * cols + c] = (a[0][r * cols + c] - m) / (v + eps).squareRoot() * a[1][c] + a[2][c] }
            }
            return y
        }
        let (xf, wf, bf, dyf) = (x.floats, w.floats, b.floats, dy.floats)
        var out = [Float](repeating: 0, count: rows * cols), mean = [Float](repeating: 0, count: rows)
        var rstd = mean
        LayerNorm.forward(out: &out, mean: &mean, rstd: &rstd, inp: xf, weight: wf, bias: bf,
                          rows: rows, cols: cols, eps: Float(eps))
        var dw: [Float] = [], db: [Float] = []
        let dx = accumulated(rows * cols, seed: 15) { dxp in
            dw = accumulated(cols, seed: 16) { dwp in
                db = accumulated(cols, seed: 17) { dbp in
                    LayerNorm.backward(dinp: dxp, dweight: dwp, dbias: dbp, dout: dyf, inp: xf, weight: wf,
                                       mean: mean, rstd: rstd, rows: rows, cols: cols)
                }
            }
        }
        G.assertClose(dx, num[0], "layernorm dinp")
        G.assertClose(dw, num[1], "layernorm dweight")
        G.assertClose(db, num[2], "layernorm dbias")
    }

    func testGELU() {
        let n = 40
        let x = G.random(n, seed: 21, scale: 3), dy = G.random(n, seed: 22)
        let num = G.numeric([x], w: dy) { $0[0].map { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) } }
        let (xf, dyf) = (x.floats, dy.floats)
        let dx = accumulated(n, seed: 23) { GELU.backward(dinp: $0, inp: xf, dout: dyf, count: n) }
        G.assertClose(dx, num[0], "gelu dinp")
    }

    func testSwiGLU() {
        let rows = 3, hidden = 5
        let x = G.random(rows * 2 * hidden, seed: 31, scale: 3), dy = G.random(rows * hidden, seed: 32)
        let num = G.numeric([x], w: dy) { a in
            (0..<(rows * hidden)).map { i in
                let r = i / hidden, j = i % hidden
                let u = a[0][r * 2 * hidden + j], v = a[0][r * 2 * hidden + hidden + j]
                return u / (1 + exp(-u)) * v
            }
        }
        let (xf, dyf) = (x.floats, dy.floats)
        let dx = accumulated(rows * 2 * hidden, seed: 33) {
            SwiGLU.backward(dinp: $0, inp: xf, dout: dyf, rows: rows, hidden: hidden)
        }
        G.assertClose(dx, num[0], "swiglu dinp")
    }

    func testSoftmax() {
        let rows = 3, cols = 6
        let x = G.random(rows * cols, seed: 41, scale: 3), dy = G.random(rows * cols, seed: 42)
        let num = G.numeric([x], w: dy) { softmaxRef($0[0], rows: rows, cols: cols) }
        var p = x.floats
        Softmax.forward(&p, rows: rows, cols: cols)
        var dx = dy.floats
        Softmax.backward(dx: &dx, dp: dx, p: p, rows: rows, cols: cols)
        G.assertClose(dx, num[0], "softmax dinp")
    }

    private func softmaxRef(_ x: [Double], rows: Int, cols: Int) -> [Double] {
        var y = x
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)]
            let m = row.max()!
            let s = row.reduce(0) { $0 + exp($1 - m) }
            for c in 0..<cols { y[r * cols + c] = exp(x[r * cols + c] - m) / s }
        }
        return y
    }

    func testAttention() {
        let batch = 2, tokens = 5, heads = 2, headDim = 3, dim = heads * headDim
        let qkv = G.random(batch * tokens * 3 * dim, seed: 51, scale: 1.5), dy = G.random(batch * tokens * dim, seed: 52)
        let num = G.numeric([qkv], w: dy) { a in
            let x = a[0]
            var out = [Double](repeating: 0, count: batch * tokens * dim)
            for b in 0..<batch { for h in 0..<heads {
                func at(_ t: Int, _ part: Int, _ c: Int) -> Double { x[(b * tokens + t) * 3 * dim + part * dim + h * headDim + c] }
                var s = [Double](repeating: 0, count: tokens * tokens)
                for t in 0..<tokens { for u in 0..<tokens {
                    for c in 0..<headDim { s[t * tokens + u] += at(t, 0, c) * at(u, 1, c) }
                    s[t * tokens + u] /= Double(headDim).squareRoot()
                } }
                let p = softmaxRef(s, rows: tokens, cols: tokens)
                for t in 0..<tokens { for c in 0..<headDim {
                    var o = 0.0
                    for u in 0..<tokens { o += p[t * tokens + u] * at(u, 2, c) }
                    out[(b * tokens + t) * dim + h * headDim + c] = o
                } }
            } }
            return out
        }
        let (qf, dyf) = (qkv.floats, dy.floats)
        var out = [Float](repeating: 0, count: batch * tokens * dim)
        var probs = [Float](repeating: 0, count: batch * heads * tokens * tokens)
        MultiHeadAttention.forward(out: &out, probs: &probs, qkv: qf, batch: batch, tokens: tokens, heads: heads, headDim: headDim)
        let dq = accumulated(qkv.count, seed: 53) {
            MultiHeadAttention.backward(dqkv: $0, dout: dyf, qkv: qf, probs: probs, batch: batch, tokens: tokens,
                               heads: heads, headDim: headDim)
        }
        G.assertClose(dq, num[0], "attention dqkv")
    }

    func testLayerScaleAndResidual() {
        let rows = 4, cols = 5
        let x = G.random(rows * cols, seed: 61), g = G.random(cols, seed: 62), dy = G.random(rows * cols, seed: 63)
        // out = x + x * gamma: the residual and the scaled branch together.
        let num = G.numeric([x, g], w: dy) { a in (0..<(rows * cols)).map { a[0][$0] + a[0][$0] * a[1][$0 % cols] } }
        let (xf, gf, dyf) = (x.floats, g.floats, dy.floats)
        var dg: [Float] = []
        let dx = accumulated(rows * cols, seed: 64) { dxp in
            Residual.backward(dinp: dxp, dout: dyf, count: rows * cols)
            dg = accumulated(cols, seed: 65) { dgp in
                LayerScale.backward(dinp: dxp, dgamma: dgp, dout: dyf, inp: xf, gamma: gf, rows: rows, cols: cols)
            }
        }
        G.assertClose(dx, num[0], "layerscale+residual dinp")
        G.assertClose(dg, num[1], "layerscale dgamma")
    }

    func testTokenEmbedding() {
        let batch = 2, count = 3, dim = 4, tokens = count + 1
        let p = G.random(batch * count * dim, seed: 71), cls = G.random(dim, seed: 72)
        let pos = G.random(tokens * dim, seed: 73), dy = G.random(batch * tokens * dim, seed: 74)
        let num = G.numeric([p, cls, pos], w: dy) { a in
            (0..<(batch * tokens * dim)).map { i in
                let b = i / (tokens * dim), t = (i / dim) % tokens, c = i % dim
                return (t == 0 ? a[1][c] : a[0][(b * count + t - 1) * dim + c]) + a[2][t * dim + c]
            }
        }
        let dyf = dy.floats
        var dcls: [Float] = [], dpos: [Float] = []
        let dp = accumulated(p.count, seed: 75) { dpp in
            dcls = accumulated(dim, seed: 76) { dcp in
                dpos = accumulated(pos.count, seed: 77) { dpos in
                    TokenEmbedding.backward(dpatches: dpp, dcls: dcp, dpos: dpos, dout: dyf,
                                            batch: batch, count: count, dim: dim)
                }
            }
        }
        G.assertClose(dp, num[0], "token embedding dpatches")
        G.assertClose(dcls, num[1], "token embedding dcls")
        G.assertClose(dpos, num[2], "token embedding dpos")
    }

    func testTokenPool() {
        let batch = 2, tokens = 4, dim = 3
        let x = G.random(batch * tokens * dim, seed: 81), dy = G.random(batch * dim, seed: 82)
        for mode in [TokenPool.Mode.cls, .mean] {
            let num = G.numeric([x], w: dy) { a in
                (0..<(batch * dim)).map { i in
                    let b = i / dim, c = i % dim
                    if mode == .cls { return a[0][b * tokens * dim + c] }
                    return (1..<tokens).reduce(0) { $0 + a[0][(b * tokens + $1) * dim + c] } / Double(tokens - 1)
                }
            }
            let dyf = dy.floats
            let dx = accumulated(x.count, seed: 83) {
                TokenPool.backward(dinp: $0, dout: dyf, mode: mode, batch: batch, tokens: tokens, dim: dim)
            }
            G.assertClose(dx, num[0], "token pool \(mode) dinp")
        }
    }

    func testPatchEmbedding() {
        let batch = 2, channels = 2, height = 8, width = 4, patch = 2, dim = 3
        let gh = height / patch, gw = width / patch, k = channels * patch * patch, rows = batch * gh * gw
        let img = G.random(batch * channels * height * width, seed: 91), w = G.random(dim * k, seed: 92)
        let b = G.random(dim, seed: 93), dy = G.random(rows * dim, seed: 94)
        // Direct convolution, output laid out [batch, gh, gw, dim] (the token order).
        let conv = { (a: [[Double]]) -> [Double] in
            (0..<(rows * dim)).map { i in
                let o = i % dim, r = i / dim, bb = r / (gh * gw), py = (r / gw) % gh, px = r % gw
                var s = a[2][o]
                for c in 0..<channels { for ky in 0..<patch { for kx in 0..<patch {
                    s += a[0][((bb * channels + c) * height + py * patch + ky) * width + px * patch + kx]
                        * a[1][((o * channels + c) * patch + ky) * patch + kx]
                } } }
                return s
            }
        }
        let num = G.numeric([img, w, b], w: dy, conv)
        let (imgf, wf, bf, dyf) = (img.floats, w.floats, b.floats, dy.floats)
        var out = [Float](repeating: 0, count: rows * dim), cols = [Float](repeating: 0, count: rows * k)
        PatchEmbedding.im2col(cols: &cols, image: imgf, batch: batch, channels: channels, height: height, width: width, patch: patch)
        Linear.forward(out: &out, inp: cols, weight: wf, bias: bf, rows: rows, inFeatures: k, outFeatures: dim)
        XCTAssertLessThan(relativeError(out, conv([img, w, b]).floats), 1e-6, "patch embedding forward")
        var scratch = [Float](repeating: 0, count: rows * k)
        var dw: [Float] = [], db: [Float] = []
        let dimg = accumulated(img.count, seed: 95) { dip in
            dw = accumulated(w.count, seed: 96) { dwp in
                db = accumulated(dim, seed: 97) { dbp in
                    PatchEmbedding.backward(dimage: dip, scratch: &scratch, dweight: dwp, dbias: dbp, dout: dyf,
                                            cols: cols, weight: wf, batch: batch, channels: channels,
                                            height: height, width: width, patch: patch, dim: dim)
                }
            }
        }
        G.assertClose(dimg, num[0], "patch embedding dimage")
        G.assertClose(dw, num[1], "patch embedding dweight")
        G.assertClose(db, num[2], "patch embedding dbias")
    }
}
