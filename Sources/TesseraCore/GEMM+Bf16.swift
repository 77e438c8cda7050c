import CTesseraKernels

extension GEMM {
    /// The precision of every product `sgemm` computes: f32, or bf16 (both operands rounded to
    /// bf16, products accumulated in f32 in the fixed order tessera_kernels.h defines, alpha and
    /// beta applied in f32). bf16 is what PyTorch's autocast does to a training step's matrix
    /// products, forward and backward, and a step's products are spread over every layer's
    /// kernels, so the switch sits here rather than in each of them. Set by `computing(in:_:)`,
    /// on one thread, between parallel regions; read by whichever thread calls `sgemm`.
    nonisolated(unsafe) public private(set) static var precision = ComputePrecision.f32

    /// Runs `body` with every `sgemm` product in `precision`, then restores the one before.
    public static func computing<T, E: Error>(in precision: ComputePrecision, _ body: () throws(E) -> T) throws(E) -> T {
        let outer = self.precision
        self.precision = precision
        defer { self.precision = outer }
        return try body()
    }

    /// The kernel path of the bf16 products.
    static let bf16Path = tk_best_path()

    /// `sgemm`'s product in bf16 (k ≥ 1): op(B) packed once, op(A)'s rows rounded, both read in
    /// place whichever way they are held, in this thread's `ProductScratch`; split across the
    /// threads as `sgemm` splits the product, which changes no bit (every output is one fixed sum).
    static func bf16(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        // The plan: the rows, the packed operand, and (alpha not 1 or beta neither 0 nor 1: attention's
        // scaled products) the product before alpha and beta.
        let ldx = tk_bf16_padded_k(k), rowBytes = (m * ldx * 2 + 63) / 64 * 64
        let packedBytes = (tk_bf16_weights_bytes(bf16Path, n, k) + 63) / 64 * 64
        let direct = alpha == 1 && (beta == 0 || beta == 1)
        guarantee(packedBytes > 0, "a bf16 operand [\(n), \(k)] is too large")
        ProductScratch.lend(rowBytes + packedBytes + (direct ? 0 : m * n * 4)) { memory in
            let rows = Bf16Rows(ldx: ldx, values: memory.bindMemory(to: UInt16.self, capacity: m * ldx))
            var placed: OpaquePointer?
            let status = tk_bf16_weights_place(bf16Path, n, k, memory + rowBytes, packedBytes, &placed)
            guard status == TK_OK, let packed = placed else {
                guaranteeFailure("placing a bf16 operand [\(n), \(k)] failed with status \(status.rawValue)")
            }
            let y = direct ? c : (memory + rowBytes + packedBytes).bindMemory(to: Float.self, capacity: m * n)
            product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                    c: c, ldc: ldc, rows: rows, packed: packed, y: y, ldy: direct ? ldc : n, direct: direct)
        }
    }

    /// `bf16`'s work over its carved memory: fill `packed`, round into `rows`, multiply into `y`.
    private static func product(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>,
                                lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>,
                                ldc: Int, rows: Bf16Rows, packed: OpaquePointer, y: UnsafeMutablePointer<Float>, ldy: Int,
                                direct: Bool) {
        func pack(_ columns: Range<Int>) {
            let status = tk_bf16_weights_fill_f32(packed, b, transB ? ldb : 1, transB ? 1 : ldb, columns.lowerBound, columns.upperBound)
            guarantee(status == TK_OK, "tk_bf16_weights_fill_f32 failed with status \(status.rawValue)")
        }
        func round(_ r: Range<Int>) {
            let status = tk_bf16_round_strided(transA ? a + r.lowerBound : a + r.lowerBound * lda, transA ? 1 : lda, transA ? lda : 1,
                                               r.count, k, rows.values + r.lowerBound * rows.ldx, rows.ldx)
            guarantee(status == TK_OK, "tk_bf16_round_strided failed with status \(status.rawValue)")
        }
        func multiply(_ r: Range<Int>, _ columns: Range<Int>) {
            rows.multiply(packed, rows: r, columns: columns, y: y, ldy: ldy, add: direct && beta == 1)
            guard !direct else { return }
            for i in r {
                let t = y + i * ldy, o = c + i * ldc
                if beta == 0 {
                    for j in columns { o[j] = alpha * t[j] }
                } else {
                    for j in columns { o[j] = alpha * t[j] + beta * o[j] }
                }
            }
        }
        if m * n * k < splitThreshold || Parallel.threadCount == 1 || Parallel.isInsideWorker {
            pack(0..<n)
            round(0..<m)
            multiply(0..<m, 0..<n)
            return
        }
        // Columns in whole panels, so that no two threads write into one panel's cache lines.
        let block = tk_bf16_weights_column_block(packed), blocks = (n + block - 1) / block
        let panels = { (p: Range<Int>) in p.lowerBound * block..<min(n, p.upperBound * block) }
        Parallel.chunks(blocks) { pack(panels($0)) }
        if m >= n {
            Parallel.chunks(m) { r in
                round(r)
                multiply(r, 0..<n)
            }
        } else {
            Parallel.chunks(m, round)
            Parallel.chunks(blocks) { multiply(0..<m, panels($0)) }
        }
    }
}
