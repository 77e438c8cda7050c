import CTesseraKernels
import XCTest

/// tk_gemm on every path against the plain definition, bit for bit.
final class Int8GEMMTests: XCTestCase {
    /// m, n, k: ones, k off the blocks, edge sizes around every panel width
    /// and row block, one row, one column, a ViT-S qkv layer for one tile.
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (1, 1, 17), (3, 5, 1), (7, 13, 31), (9, 17, 33), (6, 64, 4), (13, 67, 100),
        (17, 129, 48), (5, 130, 257), (8, 8, 16), (1, 64, 384), (197, 1, 384), (197, 1152, 384),
    ]

    func testEveryShapeMatchesTheDefinitionOnEveryPath() {
        for (index, (m, n, k)) in Self.shapes.enumerated() {
            let problem = Int8Problem(m: m, n: n, k: k, withBias: index % 2 == 0, seed: UInt64(index))
            let a = problem.quantized()
            let want = problem.reference(a)
            for path in KernelPaths.supported {
                let packed = problem.pack(path)
                defer { tk_weights_free(packed.weights) }
                XCTAssertEqual(packed.status, TK_OK)
                let got = problem.run(packed.weights, a)
                XCTAssertEqual(got.status, TK_OK)
                let wrong = zip(got.y, want).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(wrong, 0, "\(KernelPaths.name(path)) m \(m) n \(n) k \(k)")
            }
        }
    }

    /// A block of rows and columns writes exactly that block; splitting the
    /// columns anywhere, on or off the column block, repeats the whole product.
    func testRangesWriteOnlyTheirBlockAndSplitsAddUp() {
        let problem = Int8Problem(m: 29, n: 150, k: 70, withBias: true, seed: 99)
        let a = problem.quantized()
        let want = problem.reference(a)
        let ldy = 153
        for path in KernelPaths.supported {
            let packed = problem.pack(path)
            defer { tk_weights_free(packed.weights) }
            let name = KernelPaths.name(path)
            for (rows, columns) in [(3..<20, 5..<77), (0..<29, 64..<150), (28..<29, 149..<150), (4..<4, 0..<150)] {
                let got = problem.run(packed.weights, a, rows: rows, columns: columns, ldy: ldy, fill: -7)
                XCTAssertEqual(got.status, TK_OK)
                for r in 0..<problem.m {
                    for c in 0..<ldy {
                        let inside = rows.contains(r) && columns.contains(c)
                        let expected = inside ? want[r * problem.n + c] : -7
                        XCTAssertEqual(got.y[r * ldy + c].bitPattern, expected.bitPattern,
                                       "\(name) rows \(rows) columns \(columns) at \(r),\(c)")
                    }
                }
            }
            let block = tk_weights_column_block(packed.weights)
            for cut in [block, 2 * block + 3, 1, problem.n - 1] where cut < problem.n {
                var y = [Float](repeating: 0, count: problem.m * problem.n)
                for (rows, columns) in [(0..<11, 0..<cut), (0..<11, cut..<problem.n), (11..<29, 0..<problem.n)] {
                    XCTAssertEqual(tk_gemm(packed.weights, a.q, a.ldq, a.scale, a.sum, rows.lowerBound, rows.upperBound,
                                           columns.lowerBound, columns.upperBound, &y, problem.n), TK_OK)
                }
                XCTAssertEqual(y.map(\.bitPattern), want.map(\.bitPattern), "\(name) cut at \(cut)")
            }
        }
    }

    /// The largest k with the largest magnitudes: sums near +-2^30, far past
    /// float's 2^24, so the int32-to-float rounding is checked too.
    func testLargestAccumulationsAreExact() {
        let k = Int(TK_MAX_K), n = 4
        var problem = Int8Problem(m: 3, n: n, k: k, withBias: false, seed: 5)
        for i in 0..<k {
            problem.x[i] = 1                                        // all 127
            problem.x[problem.ldx + i] = -1                         // all -127
            problem.x[2 * problem.ldx + i] = i % 3 == 0 ? -1 : 1
            problem.w[i] = -128
            problem.w[k + i] = 127
            problem.w[2 * k + i] = i % 2 == 0 ? 127 : -128
            problem.w[3 * k + i] = Int8(truncatingIfNeeded: i * 37)
        }
        problem.wscale = [1, 1, 1, 1]
        let a = problem.quantized()
        XCTAssertEqual(a.scale[0], 1 / 127)
        let want = problem.reference(a)
        XCTAssertEqual(want[0], Float(1 / 127 as Float) * Float(-65536 * 127 * 128))
        for path in KernelPaths.supported {
            let packed = problem.pack(path)
            defer { tk_weights_free(packed.weights) }
            let got = problem.run(packed.weights, a)
            XCTAssertEqual(got.y.map(\.bitPattern), want.map(\.bitPattern), KernelPaths.name(path))
        }
    }

    func testBadRequestsAreRefused() {
        let problem = Int8Problem(m: 2, n: 3, k: 20, withBias: true, seed: 3)
        let w = problem.w, s = problem.wscale
        var packed: OpaquePointer?
        XCTAssertEqual(tk_weights_pack(TK_PATH_SCALAR, w, 20, 3, 0, s, nil, &packed), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_weights_pack(TK_PATH_SCALAR, w, 19, 3, 20, s, nil, &packed), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_weights_pack(TK_PATH_SCALAR, w, 20, 0, 20, s, nil, &packed), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_weights_pack(TK_PATH_SCALAR, w, Int(TK_MAX_K) + 1, 1, Int(TK_MAX_K) + 1, s, nil, &packed),
                       TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_weights_pack(TK_PATH_SCALAR, w, 20, 3, 20, [1, .nan, 1], nil, &packed), TK_ERR_NONFINITE)
        XCTAssertEqual(tk_weights_pack(TK_PATH_SCALAR, w, 20, 3, 20, s, [0, 0, .infinity], &packed), TK_ERR_NONFINITE)
        XCTAssertNil(packed)
        for path in KernelPaths.all where tk_path_supported(path) == 0 {
            XCTAssertEqual(problem.pack(path).status, TK_ERR_PATH, KernelPaths.name(path))
        }

        let good = problem.pack(TK_PATH_SCALAR)
        defer { tk_weights_free(good.weights) }
        let a = problem.quantized()
        XCTAssertEqual(problem.run(good.weights, a, columns: 0..<4).status, TK_ERR_ARGUMENT)
        XCTAssertEqual(problem.run(good.weights, a, ldy: 2).status, TK_ERR_ARGUMENT)
        var y = [Float](repeating: 0, count: 6)
        XCTAssertEqual(tk_gemm(good.weights, a.q, 16, a.scale, a.sum, 0, 2, 0, 3, &y, 3), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_gemm(good.weights, a.q, a.ldq, a.scale, a.sum, 0, 2, 0, 3, &y, 3), TK_OK)
    }
}
