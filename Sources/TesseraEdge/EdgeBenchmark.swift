import CPosix
import TesseraCore
import TesseraModels

/// The tile encoder's forward pass timed on a fixed batch of images, after one untimed
/// warm-up pass: what `tessera-edge bench` reports.
public struct EdgeBenchmark: Sendable {
    public let batch: Int
    /// Wall-clock seconds of each timed pass over the batch.
    public let passes: [Double]
    /// The process's peak resident set after the passes, in bytes.
    public let peakResidentBytes: Int

    /// The median pass (robust to other load on the machine), per tile, in milliseconds.
    public var msPerTile: Double { passes.sorted()[passes.count / 2] * 1000 / Double(batch) }

    /// Runs `iterations` timed forward passes of `batch` images (both >= 1) through `model`.
    public init(model: VisionTransformer, batch: Int, iterations: Int) {
        precondition(batch >= 1 && iterations >= 1, "benchmark of \(iterations) passes of \(batch) images")
        let c = model.config
        let images = Tensor(zeros: [batch, c.inChans, c.imageSize, c.imageSize])
        // A fixed input in the normalised range; the time does not depend on the values.
        images.withMutableFloats { values in
            for i in values.indices { values[i] = Float(i % 251) / 125 - 1 }
        }
        let embeddings = Tensor(zeros: [batch, c.embedDim])
        let workspace = model.makeWorkspace(batch: batch)
        func pass() -> Double {
            let start = MonotonicClock.seconds
            model.forward(images: images.floatPointer, batch: batch, workspace: workspace, embedding: embeddings.mutableFloatPointer)
            return MonotonicClock.seconds - start
        }
        _ = pass()
        passes = (0..<iterations).map { _ in pass() }
        self.batch = batch
        peakResidentBytes = Self.peakResidentBytes()
    }

    /// The most memory this process has held resident, in bytes.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)
        #else  // glibc (the host's or the cross target's): kilobytes
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
        #endif
    }
}
