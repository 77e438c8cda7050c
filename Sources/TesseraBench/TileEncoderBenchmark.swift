import Foundation
import TesseraCore
import TesseraModels

/// Times a tile encoder's forward pass and, for comparison, `GEMM.sgemm` alone
/// on the same product shapes with the same threads.
public enum TileEncoderBenchmark {
    public struct Timing: Sendable {
        /// Seconds per forward pass over the batch (the median of the timed runs).
        public let seconds: Double
        /// Sustained rate of the forward, from its analytic multiply-add count.
        public let gflops: Double
        /// Seconds of the fastest timed pass (on a shared machine, the least disturbed one).
        public var bestSeconds: Double = 0
        /// Process CPU time (user + system, all threads) per forward pass: with
        /// one thread, a measure that other load on the machine hardly disturbs.
        public var cpuSeconds: Double = 0
    }

    /// User + system CPU seconds of this process so far.
    public static func processCPUSeconds() -> Double {
        let usage = resourceUsage()
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private static func resourceUsage() -> rusage {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return usage
    }

    /// Runs `iterations` timed passes (after one warm-up) over `images`
    /// [batch, C, H, W]; `embedding` receives the last pass's output [batch, D].
    public static func forward(_ model: VisionTransformer, images: Tensor, iterations: Int) throws -> (Timing, Tensor) {
        let batch = images.shape.first ?? 0
        let workspace = model.makeWorkspace(batch: batch)
        var times: [Double] = []
        var output = try model.forward(images, workspace: workspace)
        let cpuStart = processCPUSeconds()
        for _ in 0..<max(1, iterations) {
            let start = DispatchTime.now().uptimeNanoseconds
            output = try model.forward(images, workspace: workspace)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let cpu = (processCPUSeconds() - cpuStart) / Double(times.count)
        let seconds = times.sorted()[times.count / 2]
        let flops = 2 * Double(model.config.multiplyAdds) * Double(batch)
        return (Timing(seconds: seconds, gflops: flops / seconds / 1e9, bestSeconds: times.min()!, cpuSeconds: cpu),
                output.embedding)
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
            let start = DispatchTime.now().uptimeNanoseconds
            var elapsed = 0.0
            repeat {
                run()
                runs += 1
                elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
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
