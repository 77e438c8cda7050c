import XCTest
import TesseraCore
import TesseraModels
import TestSupport

/// The one seam every Linear computes through, in each precision its weights can have.
final class LinearLayerPrecisionTests: XCTestCase {
    /// Shapes (rows, in, out) that take both ways of sharing the work at two threads (rows in
    /// blocks, or columns when there are few rows), with k and n off every vector width.
    static let shapes = [(1, 5, 3), (7, 40, 70), (150, 64, 130), (400, 100, 67)]

    /// int8: exactly the quantised maths of tessera_kernels.h (activations quantised per row,
    /// exact integer products, then three f32 roundings), for any thread count; the residual
    /// form adds that to x in f32.
    func testInt8MatchesTheQuantisedMathsExactly() {
        var generator = Xorshift(seed: 11)
        for (rows, k, n) in Self.shapes {
            let values = (0..<(n * k)).map { _ in Int8.random(in: -127...127, using: &generator) }
            let scales = (0..<n).map { _ in Float.random(in: 0.001...0.05, using: &generator) }
            let bias = (0..<n).map { _ in Float.random(in: -1...1, using: &generator) }
            var x = (0..<(rows * k)).map { _ in Float.random(in: -3...3, using: &generator) }
            if rows > 2 {
                for c in 0..<k { x[k + c] = 0 }  // a zero row: scale 0, output = bias
                x[2 * k + 1] = 900  // an outlier that takes its row's scale
            }
            let layer = LinearLayer(weight: .int8(values: Self.int8Tensor(values, [n, k]), scales: Tensor(shape: [n], floats: scales)),
                                    bias: Tensor(shape: [n], floats: bias), inFeatures: k, outFeatures: n)
            XCTAssert(layer.kernel.hasPrefix("int8-"), layer.kernel)
            let want = Self.quantisedProduct(x, rows: rows, values: values, scales: scales, bias: bias, k: k, n: n)
            let residual = (0..<(rows * n)).map { _ in Float.random(in: -2...2, using: &generator) }
            for threads in [1, 2] {
                let (out, accumulated) = Self.run(layer, x, rows: rows, residual: residual, threads: threads)
                Self.assertSameBits(out, want, "\(rows)x\(k)x\(n), \(threads) threads")
                Self.assertSameBits(accumulated, zip(residual, want).map { $0 + $1 }, "accumulate \(rows)x\(k)x\(n), \(threads) threads")
            }
        }
    }

    /// f16: the weights stay f16 and the product is the f32 one over them widened, bit for bit;
    /// both are within f32 rounding of the double product.
    func testF16IsTheF32ProductOfTheWidenedWeights() {
        var generator = Xorshift(seed: 12)
        for (rows, k, n) in Self.shapes {
            let half = (0..<(n * k)).map { _ in Float16(Float.random(in: -0.1...0.1, using: &generator)) }
            let weight = Tensor(zeros: [n, k], dtype: .f16)
            weight.storage.mutableBytes.copyBytes(from: half.flatMap { [UInt8($0.bitPattern & 0xff), UInt8($0.bitPattern >> 8)] })
            let bias = Tensor(shape: [n], floats: (0..<n).map { _ in Float.random(in: -1...1, using: &generator) })
            let x = (0..<(rows * k)).map { _ in Float.random(in: -3...3, using: &generator) }
            let f16 = LinearLayer(weight: .f16(weight), bias: bias, inFeatures: k, outFeatures: n)
            let f32 = LinearLayer(weight: .f32(weight.float32()), bias: bias, inFeatures: k, outFeatures: n)
            XCTAssertEqual(f16.kernel, "f16")
            XCTAssertEqual(f16.weight.dtype, .f16)
            let residual = [Float](repeating: 0.5, count: rows * n)
            let (got, gotAccumulated) = Self.run(f16, x, rows: rows, residual: residual, threads: 2)
            let (want, wantAccumulated) = Self.run(f32, x, rows: rows, residual: residual, threads: 2)
            Self.assertSameBits(got, want, "\(rows)x\(k)x\(n)")
            Self.assertSameBits(gotAccumulated, wantAccumulated, "accumulate \(rows)x\(k)x\(n)")
            let b = bias.floats()
            for r in 0..<rows {
                for c in 0..<n {
                    var sum = Double(b[c]), magnitude = abs(Double(b[c]))
                    for i in 0..<k {
                        let term = Double(x[r * k + i]) * Double(half[c * k + i])
                        sum += term
                        magnitude += abs(term)
                    }
                    XCTAssertEqual(Double(got[r * n + c]), sum, accuracy: 1e-6 * magnitude, "\(rows)x\(k)x\(n) [\(r), \(c)]")
                }
            }
        }
    }

    /// The precision follows what the state dict holds; int8 needs its scales beside it, finite
    /// and non-negative, and a finite bias; problems come back in one WeightMismatch.
    func testWeightScopeHandsOutEachPrecision() throws {
        let (n, k) = (4, 8)
        let int8 = Self.int8Tensor((0..<(n * k)).map { Int8($0 % 100 - 50) }, [n, k])
        let scales = Tensor(shape: [n], floats: [0.1, 0.2, 0, 0.3])
        let bias = Tensor(shape: [n], floats: [1, 2, 3, 4])
        let f32 = Tensor(shape: [n, k], floats: (0..<(n * k)).map { Float($0) / 32 })
        func build(_ entries: [(String, Tensor)]) throws -> LinearLayer {
            var dict = StateDict()
            for (name, tensor) in entries { dict.set(name, tensor) }
            let root = WeightScope(dict)
            let layer = LinearLayer(root.scope("fc"), inFeatures: k, outFeatures: n)
            try root.finish(model: "test")
            return layer
        }
        XCTAssert(try build([("fc.weight", int8), ("fc.weight.scales", scales), ("fc.bias", bias)]).kernel.hasPrefix("int8-"))
        XCTAssertEqual(try build([("fc.weight", f32.converted(to: .f16)), ("fc.bias", bias)]).kernel, "f16")
        XCTAssertEqual(try build([("fc.weight", f32.converted(to: .bf16)), ("fc.bias", bias)]).kernel, "f32")
        XCTAssertEqual(try build([("fc.weight", f32), ("fc.bias", bias)]).kernel, "f32")

        func mismatch(_ entries: [(String, Tensor)]) -> WeightMismatch? {
            do {
                _ = try build(entries)
                return nil
            } catch {
                return error as? WeightMismatch
            }
        }
        XCTAssertEqual(mismatch([("fc.weight", int8), ("fc.bias", bias)])?.missing, ["fc.weight.scales"])
        XCTAssertEqual(mismatch([("fc.weight", int8), ("fc.weight.scales", Tensor(shape: [2], floats: [1, 1])), ("fc.bias", bias)])?.misshaped,
                       [.init(name: "fc.weight.scales", expected: [n], actual: [2])])
        let negative = mismatch([("fc.weight", int8), ("fc.weight.scales", Tensor(shape: [n], floats: [0.1, -1, 0, 0.3])), ("fc.bias", bias)])
        XCTAssertEqual(negative?.invalid, [.init(name: "fc.weight.scales", reason: "scale of row 1 is -1.0: expected 0...515.77954 (weights within F16's range)")])
        // 3e38 is finite and positive, but 127 x it is no weight: every product would overflow.
        let huge = mismatch([("fc.weight", int8), ("fc.weight.scales", Tensor(shape: [n], floats: [0.1, 0.2, 3e38, 0.3])), ("fc.bias", bias)])
        XCTAssertEqual(huge?.invalid.map(\.name), ["fc.weight.scales"])
        XCTAssert(huge?.description.contains("scale of row 2 is 3e+38") == true, huge?.description ?? "no error")
        let infinite = mismatch([("fc.weight", int8), ("fc.weight.scales", scales), ("fc.bias", Tensor(shape: [n], floats: [1, .infinity, 0, 0]))])
        XCTAssertEqual(infinite?.invalid.map(\.name), ["fc.weight"])
        XCTAssert(infinite?.description.contains("fc.weight: int8 weights need a finite bias; element 1 is inf") == true,
                  infinite?.description ?? "no error")
        // Found by the bundle fuzzer: an int8 weight beside a mis-shaped or missing bias was packed
        // with the bias's n floats read past its end.
        XCTAssertEqual(mismatch([("fc.weight", int8), ("fc.weight.scales", scales), ("fc.bias", Tensor(shape: [2], floats: [1, 2]))])?.misshaped,
                       [.init(name: "fc.bias", expected: [n], actual: [2])])
        XCTAssertEqual(mismatch([("fc.weight", int8), ("fc.weight.scales", scales)])?.missing, ["fc.bias"])
        XCTAssertEqual(mismatch([("fc.weight", f32), ("fc.weight.scales", scales), ("fc.bias", bias)])?.unexpected, ["fc.weight.scales"],
                       "scales beside an f32 weight are nobody's")
    }

    // MARK: - Helpers

    static func assertSameBits(_ got: [Float], _ want: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let differing = got.indices.filter { got[$0].bitPattern != want[$0].bitPattern }
        XCTAssert(differing.isEmpty, "\(what): \(differing.count) of \(got.count) differ, first [\(differing.first ?? 0)]: "
                  + "\(differing.first.map { "\(got[$0]) vs \(want[$0])" } ?? "")", file: file, line: line)
    }

    static func int8Tensor(_ values: [Int8], _ shape: [Int]) -> Tensor {
        let t = Tensor(zeros: shape, dtype: .i8)
        values.withUnsafeBytes { t.storage.mutableBytes.copyMemory(from: $0) }
        return t
    }

    /// layer(x), and residual + layer(x) through `accumulate`, with `threads` threads.
    static func run(_ layer: LinearLayer, _ x: [Float], rows: Int, residual: [Float], threads: Int) -> ([Float], [Float]) {
        let saved = Parallel.threadCount
        Parallel.threadCount = threads
        defer { Parallel.threadCount = saved }
        var out = [Float](repeating: .nan, count: rows * layer.outFeatures), accumulated = residual
        layer(out: &out, inp: x, rows: rows)
        layer.accumulate(into: &accumulated, inp: x, rows: rows)
        return (out, accumulated)
    }

    /// The int8 product from its definition: per row absmax, scale = absmax / 127 and
    /// q = x * (127 / absmax) rounded to nearest even (both in f32; zero below 2^-120);
    /// acc = sum q * w exactly; y = ((acc * xscale) * wscale) + bias, each step one f32 rounding.
    static func quantisedProduct(_ x: [Float], rows: Int, values: [Int8], scales: [Float], bias: [Float], k: Int, n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let row = x[(r * k)..<((r + 1) * k)]
            let absmax = row.reduce(Float(0)) { max($0, abs($1)) }
            let tiny = absmax < 0x1p-120
            let scale = tiny ? 0 : absmax / 127, inverse = tiny ? 0 : 127 / absmax
            let q = row.map { Int(max(-127, min(127, ($0 * inverse).rounded(.toNearestOrEven)))) }
            for c in 0..<n {
                var acc = 0
                for i in 0..<k { acc += q[i] * Int(values[c * k + i]) }
                y[r * n + c] = Float(acc) * scale * scales[c] + bias[c]
            }
        }
        return y
    }
}
