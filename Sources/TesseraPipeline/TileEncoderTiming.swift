import TesseraCore
import TesseraModels

/// The tile encoder's forward pass timed over a fixed batch: one untimed warm-up pass, then
/// `iterations` timed ones in one workspace. The one timing loop behind `tessera benchmark`
/// (which adds the sgemm comparison) and `tessera-edge bench`.
///
/// Shapes: images [batch, C, H, W] (f32, normalised); embedding [batch, D].
public struct TileEncoderTiming {
    /// The largest batch and pass count a benchmark option may ask for: a batch holds every
    /// image and its activations at once (1,000,000,000 images would be 602 TB of pixels alone),
    /// and the passes' times are kept.
    public static let maxBatch = 1024
    public static let maxIterations = 100_000

    /// Images in the batch.
    public let batch: Int
    /// Wall-clock seconds of each timed pass over the batch.
    public let passes: [Double]
    /// Process CPU seconds (user + system, all threads) per timed pass, their mean.
    public let cpuSeconds: Double
    /// [batch, D]: the last pass's embeddings.
    public let embedding: Tensor

    /// Runs `iterations` (>= 1) timed forward passes of `images` through `model`; throws
    /// when the images do not have the model's shape.
    public init(model: VisionTransformer, images: Tensor, iterations: Int) throws(VisionTransformerError) {
        precondition(iterations >= 1, "a benchmark of \(iterations) passes")
        let workspace = model.makeWorkspace(batch: images.shape.first ?? 0)
        var output = try model.forward(images, workspace: workspace)
        var passes: [Double] = []
        let cpuStart = MonotonicClock.processCPUSeconds
        for _ in 0..<iterations {
            let start = MonotonicClock.seconds
            output = try model.forward(images, workspace: workspace)
            passes.append(MonotonicClock.seconds - start)
        }
        cpuSeconds = (MonotonicClock.processCPUSeconds - cpuStart) / Double(iterations)
        self.passes = passes
        batch = images.shape[0]
        embedding = output.embedding
    }

    /// The median pass (robust to other load on the machine), in seconds.
    public var seconds: Double { passes.sorted()[passes.count / 2] }
    /// The fastest pass (on a shared machine, the least disturbed one), in seconds.
    public var bestSeconds: Double { passes.min()! }

    /// Milliseconds per tile of `seconds` per pass over the batch.
    public func msPerTile(_ seconds: Double) -> Double { seconds * 1000 / Double(batch) }

    /// `batch` images [batch, C, H, W] of seeded noise in [-2, 2] (about the normalised
    /// range); the time does not depend on the values.
    public static func noise(_ config: VisionTransformer.Config, batch: Int) -> Tensor {
        let images = Tensor(zeros: [batch, config.inChans, config.imageSize, config.imageSize])
        var state: UInt64 = 0x9E3779B97F4A7C15
        images.withMutableFloats { values in
            for i in values.indices {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                values[i] = Float(Int(state >> 40) % 4001) / 1000 - 2
            }
        }
        return images
    }
}
