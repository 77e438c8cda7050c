import ArgumentParser
import Foundation
import TesseraBundle
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraPipeline
import TesseraBench

struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Time a tile encoder's forward pass, and sgemm alone on the same shapes.",
        discussion: """
        Loads the model, runs one warm-up and --iterations timed forward passes over a batch \
        (the tensor `input` [B, 3, H, W] of --input, or --batch images of seeded noise), then \
        times the same BLAS on the forward's matrix products. Prints one JSON object on \
        stdout: ms per tile, sustained GFLOP/s (from the analytic FLOP count), sgemm GFLOP/s, \
        load time, peak RSS, the GEMM backend and the Linear layers' kernel. --precision bf16 runs \
        the Linear layers' products in bf16. --weights f16 or int8 \
        first converts the Linear weights in memory exactly as `tessera export` stores them in a \
        bundle, so the model computes as it would from that bundle. --output saves the embeddings [B, D].
        bench/tile_encoder.py drives it against PyTorch and ONNX Runtime.

        Example:
          tessera benchmark --tile-encoder bench/out/vit_base --batch 8 --iterations 5 --threads 2
          tessera benchmark --tile-encoder bench/out/vit_base --weights int8 --threads 2
          tessera benchmark --tile-encoder bench/out/vit_base --precision bf16 --threads 2
        """)

    @Option(name: .customLong("tile-encoder"), help: "A Hugging Face timm directory or a weights file.")
    var tileEncoder: String

    @Option(help: "Architecture preset for a bare weights file.")
    var arch: String?

    @Option(help: "A .safetensors file whose tensor `input` [B, 3, H, W] is the batch.")
    var input: String?

    @Option(parsing: .unconditional, help: "Images of noise per batch (without --input).")
    var batch = 8

    @Option(parsing: .unconditional, help: "Timed forward passes (the median is reported).")
    var iterations = 5

    @Option(help: "Precision of the Linear weights: f32, f16 or int8 (as a bundle stores them).")
    var weights = "f32"

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var precision: PrecisionOption

    @Option(name: .shortAndLong, help: "Save the embeddings [B, D] of the last pass here.")
    var output: String?

    func validate() throws {
        guard (1...TileEncoderTiming.maxBatch).contains(batch) else {
            throw ValidationError("--batch must be in 1...\(TileEncoderTiming.maxBatch), got \(batch)")
        }
        guard (1...TileEncoderTiming.maxIterations).contains(iterations) else {
            throw ValidationError("--iterations must be in 1...\(TileEncoderTiming.maxIterations), got \(iterations)")
        }
        guard BundleWeights(rawValue: weights) != nil else {
            throw ValidationError("--weights must be one of \(BundleWeights.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        // Before the benchmark runs: a bad --output fails at once.
        try output.map { try OutputPath.check($0, option: "--output", inputs: [.init("--tile-encoder", tileEncoder)]) }
        threads.apply()
        let loadStart = Date()
        let loaded = try VisionTransformer.load(path: tileEncoder, architecture: arch, precision: precision.precision)
        var model = loaded.model
        if let stored = BundleWeights(rawValue: weights), stored != .f32 {
            let dict = try Checkpoint.open(path: loaded.weightsPath).stateDict
            let tensors = try BundleWriter(weights: stored).storedTensors(dict, of: .tileEncoder, path: loaded.weightsPath)
            model = try VisionTransformer(weights: tensors, config: model.config, precision: precision.precision)
        }
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let config = model.config
        let images: Tensor
        if let input {
            guard let tensor = try SafeTensors.read(path: input)["input"] else {
                throw CLIMessage("\(input) has no tensor named `input`")
            }
            guard tensor.rank == 4, tensor.shape[0] > 0 else {
                throw CLIMessage("\(input): tensor `input` has shape \(tensor.shape), not [B, 3, H, W] with B >= 1")
            }
            images = tensor
        } else {
            images = TileEncoderTiming.noise(config, batch: batch)
        }
        let forward = try TileEncoderTiming(model: model, images: images, iterations: iterations)
        let tiles = forward.batch
        let sgemm = TileEncoderBenchmark.sgemm(config, batch: tiles)
        if let output {
            var dict = StateDict()
            dict.set("embedding", forward.embedding)
            try SafeTensors.write(dict, to: output)
        }
        let weightsBytes = (try? FileManager.default.attributesOfItem(atPath: loaded.weightsPath)[.size] as? Int) ?? 0
        let report: [String: Any] = [
            "architecture": config.architecture, "embed_dim": config.embedDim, "batch": tiles,
            "threads": Parallel.threadCount, "backend": GEMM.backend.name, "weights": weights,
            "precision": precision.precision.rawValue,
            "kernel": model.linearKernel,
            "ms_per_tile": forward.msPerTile(forward.seconds),
            "gflops": 2 * Double(config.multiplyAdds) * Double(tiles) / forward.seconds / 1e9,
            "best_ms_per_tile": forward.msPerTile(forward.bestSeconds),
            "cpu_ms_per_tile": forward.msPerTile(forward.cpuSeconds),
            "sgemm_gflops": sgemm.gflops, "gflop_per_tile": 2 * Double(config.multiplyAdds) / 1e9,
            "load_s": loadSeconds, "peak_rss_bytes": PeakMemory.residentBytes, "weights_bytes": weightsBytes,
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
