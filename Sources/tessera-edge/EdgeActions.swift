import TesseraBundle
import TesseraCore
import TesseraEdge
import TesseraEdgeModels
import TesseraIO
import TesseraModels
import TesseraPipeline

/// What each command does: call the engine, report on stderr, results on stdout.
enum EdgeActions {
    static func run(bundle: String, slide: String, output: String, threads: Int?, shard: Shard?) throws(EdgeError) {
        if SlideDataset.isDataset(slide, isWholeSlideFile: EdgeWholeSlide.isWholeSlideFile) {
            return try EdgeDataset.run(bundle: bundle, dataset: slide, output: output, threads: threads, shard: shard ?? .all)
        }
        // Before the bundle loads: a bad -o fails at once, and never replaces the bundle, a tile or the slide.
        do { try OutputPath.check(output, option: "-o", inputs: [.init("BUNDLE", bundle), .init("SLIDE", slide)]) } catch {
            throw .unsafeOutput(error)
        }
        if let threads { Parallel.threadCount = threads }
        try embed(slide, engine: try EdgeEngine(path: bundle), to: output)
    }

    /// One slide (a folder of PNG tiles or a whole-slide file) into `output`, `metadata` added to
    /// the pipeline's: the single-slide command, and each slide of a dataset.
    static func embed(_ slide: String, engine: EdgeEngine, to output: String, metadata: [String: String] = [:]) throws(EdgeError) {
        let start = MonotonicClock.seconds
        var progress = EdgeProgress()
        var result: SlidePipeline.Output
        do {
            // A folder holds PNG tiles; any other path is a whole-slide file.
            if TileList.isFolder(slide) {
                result = try engine.run(folder: slide) { progress.show($0) }
            } else {
                result = try engine.run(try EdgeWholeSlide.tiles(slide, progress: &progress)) { progress.show($0) }
            }
            progress.finish()
        } catch {
            progress.finish()
            throw error
        }
        for (key, value) in metadata { result.stateDict.metadata[key] = value }
        try engine.write(result, to: output)
        if let prediction = result.prediction { print(slide + ": " + prediction.summary) }
        let c = engine.models.tileEncoder.config
        StandardError.write("embedded \(result.embedded) tiles (\(result.skipped) skipped) with \(c.architecture) "
                            + "(D=\(c.embedDim)) in \(EdgeProgress.fixed(MonotonicClock.seconds - start, 2)) s, peak RSS "
                            + "\(EdgeProgress.fixed(Double(PeakMemory.residentBytes) / 1_048_576, 1)) MB -> \(output)\n")
    }

    static func inspect(bundle: String) throws(EdgeError) {
        print(try BundleInspection(path: bundle).lines.joined(separator: "\n"))
    }

    static func bench(bundle: String, batch: Int, iterations: Int, threads: Int?) throws(EdgeError) {
        if let threads { Parallel.threadCount = threads }
        let engine = try EdgeEngine(path: bundle)
        let model = engine.models.tileEncoder
        let timing: TileEncoderTiming
        do {
            timing = try TileEncoderTiming(model: model, images: TileEncoderTiming.noise(model.config, batch: batch),
                                           iterations: iterations)
        } catch {
            throw .input(error.description)
        }
        let peakResidentBytes = PeakMemory.residentBytes
        let msPerTile = timing.msPerTile(timing.seconds)
        let weights = engine.manifest.tensors.first {
            $0.name.hasPrefix(BundleComponent.tileEncoder.prefix) && BundleWeights.isMatrixWeight(name: $0.name, shape: $0.shape)
        }.map { BundleWeights(storing: $0.dtype)?.rawValue ?? $0.dtype.rawValue } ?? BundleWeights.f32.rawValue
        let fields: [(String, JSONValue)] = [
            ("bundle", .string(bundle)),
            ("architecture", .string(model.config.architecture)),
            ("bundle_weights", .string(weights)),
            ("kernel", .string(engine.models.kernel)),
            ("threads", .number(String(Parallel.threadCount))),
            ("batch", .number(String(batch))),
            ("iterations", .number(String(iterations))),
            ("ms_per_tile", .number(EdgeProgress.fixed(msPerTile, 3))),
            ("tiles_per_s", .number(EdgeProgress.fixed(1000 / msPerTile, 2))),
            ("peak_rss_mb", .number(EdgeProgress.fixed(Double(peakResidentBytes) / 1_048_576, 1))),
        ]
        // One line, `"key": value` pairs joined by ", ", the layout bench/edge.py reads; TesseraIO quotes the strings.
        print("{" + fields.map { JSONValue.string($0.0).serialized() + ": " + $0.1.serialized() }.joined(separator: ", ") + "}")
    }
}
