import TesseraCore
import TesseraModels

/// `GEMM.sgemm` alone on a tile encoder's product shapes with the same threads: the rate
/// `tessera benchmark` sets beside the forward's (timed by `TileEncoderTiming`).
public enum TileEncoderBenchmark {
    public struct Timing: Sendable {
        /// Seconds of all the forward's products over the batch.
        public let seconds: Double
        /// Sustained rate, from the products' multiply-add count.
        public let gflops: Double
    }

    /// The rate of `GEMM.sgemm` over the forward's products at `batch`: every
    /// shape timed on random operands, weighted by how often the forward runs it.
    public static func sgemm(_ config: VisionTransformer.Config, batch: Int) -> Timing {
        var totalSeconds = 0.0, totalFlops = 0.0
        for shape in config.products(batch: batch) {
            let parallel = shape.perHead ? min(shape.count, Parallel.threadCount) : 1
            let a = randomMatrix(parallel * shape.m * shape.k)
            let b = randomMatrix(parallel * shape.k * shape.n)
            let c = UnsafeMutablePointer<Float>.allocate(capacity: parallel * shape.m * shape.n)
            defer { a.deallocate(); b.deallocate(); c.deallocate() }
            let run = {
                if shape.perHead {
                    // As the attention kernel runs them: one product per worker at a time.
                    Parallel.forEach(parallel) { w in
                        GEMM.sgemm(transB: shape.transB, m: shape.m, n: shape.n, k: shape.k,
                                   a: a + w * shape.m * shape.k, lda: shape.k,
                                   b: b + w * shape.k * shape.n, ldb: shape.transB ? shape.k : shape.n,
                                   c: c + w * shape.m * shape.n, ldc: shape.n)
                    }
                } else {
                    GEMM.sgemm(transB: shape.transB, m: shape.m, n: shape.n, k: shape.k, a: a, lda: shape.k,
                               b: b, ldb: shape.transB ? shape.k : shape.n, c: c, ldc: shape.n)
                }
            }
            run()
            let flopsPerRun = 2 * Double(shape.m * shape.n * shape.k * parallel)
            var runs = 0
            let start = MonotonicClock.seconds
            var elapsed = 0.0
            repeat {
                run()
                runs += 1
                elapsed = MonotonicClock.seconds - start
            } while elapsed < 0.2 && runs < 1000
            let secondsPerProduct = elapsed / Double(runs) / Double(parallel)
            totalSeconds += secondsPerProduct * Double(shape.count)
            totalFlops += flopsPerRun / Double(parallel) * Double(shape.count)
        }
        return Timing(seconds: totalSeconds, gflops: totalFlops / totalSeconds / 1e9)
    }

    private static func randomMatrix(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
        var state: UInt32 = 2463534242
        for i in 0..<count {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            p[i] = Float(state % 2001) / 1000 - 1
        }
        return p
    }
}
