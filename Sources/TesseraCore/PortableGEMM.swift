/// Single-precision GEMM in plain Swift, for builds without OpenBLAS (the aarch64
/// edge build), single-threaded per call like the OpenBLAS backend: `GEMM.sgemm`
/// splits the work across threads.
///
/// Blocked as the Goto/BLIS kernels are: a `kc`-deep panel of op(B), `nc` columns
/// wide, is packed once into `nr`-column slivers; for each `mc`-row block of op(A)
/// (packed into `mr`-row strips, small enough for L2) a micro-kernel keeps an
/// `mr` x `nr` tile of C in SIMD registers while it walks the panel depth. Packing
/// also takes care of the transposes, so the micro-kernel has a single form.
/// Edge tiles are computed whole on zero-padded strips and stored in part.
enum PortableGEMM {
    typealias Lanes = SIMD8<Float>
    /// Rows and columns of the register tile: 6 x 8 is 6 accumulators of 8 lanes, which
    /// with the B row and an A broadcast fits the 16 vector registers of SSE as well as
    /// NEON's 32.
    static let mr = 6, nr = Lanes.scalarCount
    /// Panel depth (an A strip and a B sliver stay in L1), rows of an A block (L2),
    /// columns of a B panel (L2/L3).
    static let kc = 256, mc = 96, nc = 2048

    /// Row-major C[m,n] = alpha * op(A)[m,k] · op(B)[k,n] + beta * C, where op(A) = A
    /// (A is [m,k], row stride lda) or A^T (A is [k,m]); likewise B. With beta = 0, C
    /// is only written (it may hold anything, NaN included).
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        guard k > 0, alpha != 0 else {
            scale(c, rows: m, cols: n, ldc: ldc, by: beta)
            return
        }
        let panelColumns = roundUp(min(n, nc), nr), blockRows = roundUp(min(m, mc), mr), depth = min(k, kc)
        let packedB = UnsafeMutablePointer<Float>.allocate(capacity: depth * panelColumns)
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: depth * blockRows)
        defer { packedB.deallocate(); packedA.deallocate() }
        var j0 = 0
        while j0 < n {
            let cols = min(nc, n - j0)
            var p0 = 0
            while p0 < k {
                let kb = min(kc, k - p0)
                packB(packedB, b, ldb: ldb, transposed: transB, rows: p0..<(p0 + kb), cols: j0..<(j0 + cols))
                // beta applies once, with the first slice of the depth; later slices add.
                let tileBeta = p0 == 0 ? beta : 1
                var i0 = 0
                while i0 < m {
                    let rows = min(mc, m - i0)
                    packA(packedA, a, lda: lda, transposed: transA, rows: i0..<(i0 + rows), cols: p0..<(p0 + kb))
                    var jr = 0
                    while jr < cols {
                        var ir = 0
                        while ir < rows {
                            tile(depth: kb, a: packedA + ir * kb, b: packedB + jr * kb,
                                 c: c + (i0 + ir) * ldc + j0 + jr, ldc: ldc,
                                 rows: min(mr, rows - ir), cols: min(nr, cols - jr), alpha: alpha, beta: tileBeta)
                            ir += mr
                        }
                        jr += nr
                    }
                    i0 += rows
                }
                p0 += kb
            }
            j0 += cols
        }
    }

    /// op(A)[rows, cols] into strips of `mr` rows: strip s holds, for each depth p,
    /// its `mr` values op(A)[s*mr + r, p] side by side (zero past the last row).
    private static func packA(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, lda: Int,
                              transposed: Bool, rows: Range<Int>, cols: Range<Int>) {
        let depth = cols.count
        var strip = out, i = rows.lowerBound
        while i < rows.upperBound {
            let height = min(mr, rows.upperBound - i)
            if height < mr { strip.initialize(repeating: 0, count: mr * depth) }
            if transposed {  // op(A)[i, p] = A[p, i]: each depth's strip values are contiguous
                for (p, col) in cols.enumerated() {
                    let src = a + col * lda + i, dst = strip + p * mr
                    for r in 0..<height { dst[r] = src[r] }
                }
            } else {
                for r in 0..<height {
                    let src = a + (i + r) * lda + cols.lowerBound
                    for p in 0..<depth { strip[p * mr + r] = src[p] }
                }
            }
            strip += mr * depth
            i += mr
        }
    }

    /// op(B)[rows, cols] into slivers of `nr` columns: sliver t holds, for each depth p,
    /// op(B)[p, t*nr ..< t*nr + nr] (zero past the last column).
    private static func packB(_ out: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>, ldb: Int,
                              transposed: Bool, rows: Range<Int>, cols: Range<Int>) {
        let depth = rows.count
        var sliver = out, j = cols.lowerBound
        while j < cols.upperBound {
            let width = min(nr, cols.upperBound - j)
            if width < nr { sliver.initialize(repeating: 0, count: nr * depth) }
            if transposed {  // op(B)[p, j] = B[j, p]: each column is a contiguous row of B
                for c in 0..<width {
                    let src = b + (j + c) * ldb + rows.lowerBound
                    for p in 0..<depth { sliver[p * nr + c] = src[p] }
                }
            } else {
                for (p, row) in rows.enumerated() {
                    (sliver + p * nr).update(from: b + row * ldb + j, count: width)
                }
            }
            sliver += nr * depth
            j += nr
        }
    }

    /// C[rows, cols] = alpha * (strip · sliver) + beta * C for one register tile
    /// (rows <= mr, cols <= nr); C is not read when beta is 0.
    @inline(__always)
    private static func tile(depth: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                             c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int,
                             alpha: Float, beta: Float) {
        var c0 = Lanes(), c1 = Lanes(), c2 = Lanes(), c3 = Lanes(), c4 = Lanes(), c5 = Lanes()
        var pa = a, pb = UnsafeRawPointer(b)
        for _ in 0..<depth {
            let bv = pb.loadUnaligned(as: Lanes.self)
            c0 += bv * pa[0]
            c1 += bv * pa[1]
            c2 += bv * pa[2]
            c3 += bv * pa[3]
            c4 += bv * pa[4]
            c5 += bv * pa[5]
            pa += mr
            pb += nr * MemoryLayout<Float>.stride
        }
        let sums = (c0, c1, c2, c3, c4, c5)
        withUnsafeBytes(of: sums) { raw in
            let acc = raw.baseAddress!
            for r in 0..<rows {
                let row = c + r * ldc
                let v = alpha * acc.loadUnaligned(fromByteOffset: r * MemoryLayout<Lanes>.stride, as: Lanes.self)
                if cols == nr {
                    let out = UnsafeMutableRawPointer(row)
                    out.storeBytes(of: beta == 0 ? v : v + beta * out.loadUnaligned(as: Lanes.self), as: Lanes.self)
                } else {
                    for j in 0..<cols { row[j] = beta == 0 ? v[j] : v[j] + beta * row[j] }
                }
            }
        }
    }

    /// C[rows, cols] *= beta (set to 0 when beta is 0, whatever C held).
    private static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ldc: Int, by beta: Float) {
        for r in 0..<rows {
            let row = c + r * ldc
            for j in 0..<cols { row[j] = beta == 0 ? 0 : beta * row[j] }
        }
    }

    private static func roundUp(_ value: Int, _ multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
}
