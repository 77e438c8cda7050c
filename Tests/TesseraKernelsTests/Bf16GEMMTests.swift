import CTesseraKernels
import XCTest

/// tk_bf16_gemm on every path against the definition (tk_bf16_dot), bit for bit, and
/// the arguments it refuses. (Tests/CrossKernels/test_kernels.c adds the double-precision
/// check, flushed tiny sums and the aarch64 paths under qemu.)
final class Bf16GEMMTests: XCTestCase {
    struct Problem {
        let m: Int, n: Int, k: Int
        let x: [UInt16], w: [UInt16], bias: [Float]
        var kp: Int { tk_bf16_padded_k(k) }

        init(m: Int, n: Int, k: Int, seed: UInt64) {
            self.m = m
            self.n = n
            self.k = k
            var random = SeededGenerator(seed: seed)
            let kp = tk_bf16_padded_k(k)
            func rounded(_ rows: Int, scale: Float) -> [UInt16] {
                let values = (0..<rows * k).map { _ in Float.random(in: -scale...scale, using: &random) }
                var out = [UInt16](repeating: 0xffff, count: rows * kp)
                XCTAssertEqual(tk_bf16_round_rows(values, k, rows, k, &out, kp), TK_OK)
                return out
            }
            x = rounded(m, scale: 2)
            w = rounded(n, scale: 0.1)
            bias = (0..<n).map { _ in Float.random(in: -1...1, using: &random) }
        }

        func definition() -> [Float] {
            (0..<m).flatMap { r in
                (0..<n).map { c in
                    x.withUnsafeBufferPointer { xs in
                        w.withUnsafeBufferPointer { ws in tk_bf16_dot(xs.baseAddress! + r * kp, ws.baseAddress! + c * kp, kp) }
                    } + bias[c]
                }
            }
        }
    }

    func testEveryPathGivesTheDefinitionsBits() {
        for (index, (m, n, k)) in [(1, 1, 1), (7, 13, 31), (9, 65, 100), (13, 130, 257), (29, 200, 768)].enumerated() {
            let problem = Problem(m: m, n: n, k: k, seed: UInt64(index))
            XCTAssert(problem.x.enumerated().allSatisfy { $0.offset % problem.kp < k || $0.element == 0 }, "pad zeroed")
            let want = problem.definition()
            for path in KernelPaths.supported {
                var packed: OpaquePointer?
                XCTAssertEqual(tk_bf16_weights_pack(path, problem.w, problem.kp, n, k, problem.bias, &packed), TK_OK)
                defer { tk_bf16_weights_free(packed) }
                var y = [Float](repeating: .nan, count: m * n)
                XCTAssertEqual(tk_bf16_gemm(packed, problem.x, problem.kp, 0, m, 0, n, &y, n, 0), TK_OK)
                let wrong = zip(y, want).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(wrong, 0, "\(KernelPaths.name(path)) m \(m) n \(n) k \(k)")
            }
        }
    }

    func testBadArgumentsAreRefusedAndWriteNothing() {
        let problem = Problem(m: 2, n: 3, k: 5, seed: 7)
        let kp = problem.kp
        var packed: OpaquePointer?
        XCTAssertEqual(tk_bf16_weights_pack(TK_PATH_SCALAR, problem.w, kp, 3, 0, nil, &packed), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_bf16_weights_pack(TK_PATH_SCALAR, problem.w, 4, 3, 5, nil, &packed), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_bf16_weights_pack(TK_PATH_SCALAR, problem.w, kp, 0, 5, nil, &packed), TK_ERR_ARGUMENT)
        XCTAssertEqual(tk_bf16_weights_pack(TK_PATH_SCALAR, problem.w, kp, 3, 5, [0, .nan, 0], &packed), TK_ERR_NONFINITE)
        XCTAssertNil(packed)
        for path in KernelPaths.all where tk_path_supported(path) == 0 {
            XCTAssertEqual(tk_bf16_weights_pack(path, problem.w, kp, 3, 5, nil, &packed), TK_ERR_PATH, KernelPaths.name(path))
        }
        XCTAssertEqual(tk_bf16_weights_pack(TK_PATH_SCALAR, problem.w, kp, 3, 5, nil, &packed), TK_OK)
        defer { tk_bf16_weights_free(packed) }
        var y = [Float](repeating: 9, count: 6)
        XCTAssertEqual(tk_bf16_gemm(packed, problem.x, kp, 0, 2, 0, 4, &y, 3, 0), TK_ERR_ARGUMENT, "columns past n")
        XCTAssertEqual(tk_bf16_gemm(packed, problem.x, 5, 0, 2, 0, 3, &y, 3, 0), TK_ERR_ARGUMENT, "row stride below the padded k")
        XCTAssertEqual(tk_bf16_gemm(packed, problem.x, kp, 0, 2, 0, 3, &y, 2, 0), TK_ERR_ARGUMENT, "output stride")
        XCTAssertEqual(tk_bf16_gemm(packed, problem.x, kp, 1, 0, 0, 3, &y, 3, 0), TK_ERR_ARGUMENT, "rows reversed")
        XCTAssert(y.allSatisfy { $0 == 9 })
        var out = [UInt16](repeating: 0, count: 4)
        XCTAssertEqual(tk_bf16_round_rows([1, 2, 3], 3, 1, 3, &out, 3), TK_ERR_ARGUMENT, "row stride below the padded k")
    }
}
