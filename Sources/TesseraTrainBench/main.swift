// tessera-train-bench: times full training steps (forward + backward + AdamW) of a
// freshly initialised timm ViT on random images, for bench/train_step.py.
// Usage: tessera-train-bench [architecture] [batch] [steps] [threads] [--recompute]
// Prints one JSON line: per-step seconds, peak resident memory, activation bytes.
import Foundation
import TesseraCore
import TesseraModels
import TesseraTrain

let args = CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("--") }
let architecture = args.first ?? "vit_base_patch16_224"
let batch = args.count > 1 ? Int(args[args.startIndex + 1]) ?? 4 : 4
let steps = args.count > 2 ? Int(args[args.startIndex + 2]) ?? 3 : 3
if args.count > 3, let threads = Int(args[args.startIndex + 3]) { Parallel.threadCount = threads }
let recompute = CommandLine.arguments.contains("--recompute")

guard let config = VisionTransformer.Config.presets[architecture] else {
    FileHandle.standardError.write(Data("unknown architecture \(architecture)\n".utf8))
    exit(2)
}
let parameters = ParameterSet(freshViT: config, seed: 0)
let model = try VisionTransformer(training: parameters, config: config)
let trainer = Trainer(parameters: parameters, optimizer: AdamW(), schedule: .constant(1e-4), seed: 1)
let act = VisionTransformer.TrainingActivations(config: config, batch: batch, recompute: recompute)
let gradients = try model.gradients(parameters)

var rng = RandomGenerator(seed: 2)
let images = Tensor(shape: [batch, config.inChans, config.imageSize, config.imageSize],
                    floats: (0..<(batch * config.inChans * config.imageSize * config.imageSize)).map { _ in Float(rng.normal()) })
let hiddenCount = batch * config.tokens * config.embedDim, embeddingCount = batch * config.embedDim
let targetHidden = (0..<hiddenCount).map { _ in Float(rng.normal()) }
let targetEmbedding = (0..<embeddingCount).map { _ in Float(rng.normal()) }

var times: [Double] = [], cpu: [Double] = []
var lastLoss: Float = 0
for _ in 0..<steps {
    let start = MonotonicClock.seconds, startCPU = MonotonicClock.processCPUSeconds
    let report = try trainer.step { _ in
        let (hidden, embedding) = try model.forward(images, activations: act)
        // The fixtures' distillation loss: mse(last block output) + mse(embedding).
        let (l1, dh) = MeanSquaredError.lossAndGradient(hidden, target: targetHidden)
        let (l2, de) = MeanSquaredError.lossAndGradient(embedding, target: targetEmbedding)
        model.backward(activations: act, hiddenGradients: [config.depth - 1: dh], embeddingGradient: de,
                       gradients: gradients)
        return l1 + l2
    }
    times.append(MonotonicClock.seconds - start)
    cpu.append(MonotonicClock.processCPUSeconds - startCPU)
    lastLoss = report.loss
}
let peakMB = Double(PeakMemory.residentBytes) / 1048576
let sorted = times.sorted()
print("{\"impl\": \"tessera\", \"architecture\": \"\(architecture)\", \"batch\": \(batch), \"threads\": \(Parallel.threadCount), "
      + "\"recompute\": \(recompute), \"step_s\": \(times), \"step_cpu_s\": \(cpu), \"median_s\": \(sorted[sorted.count / 2]), "
      + "\"peak_rss_mb\": \(peakMB), \"activation_mb\": \(Double(act.byteCount) / 1048576), \"loss\": \(lastLoss)}")
