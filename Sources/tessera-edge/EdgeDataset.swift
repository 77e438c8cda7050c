import TesseraCore
import TesseraEdge
import TesseraEdgeModels
import TesseraIO
import TesseraPipeline

/// `tessera-edge run BUNDLE DATASET -o OUT_DIR`: each slide of the shard through
/// `EdgeActions.embed`, the single-slide path, into `OUT_DIR/<slide name>.safetensors`
/// (`DatasetRun`, the loop `tessera embed` runs too).
enum EdgeDataset {
    static func run(bundle: String, dataset path: String, output: String, threads: Int?, shard: Shard) throws(EdgeError) {
        let dataset: SlideDataset
        do { dataset = try SlideDataset.open(path, isWholeSlideFile: EdgeWholeSlide.isWholeSlideFile) } catch {
            throw .input(error.description)
        }
        do {
            try InputOutputOverlap.checkFolder(output, option: "-o", inputs: [.init("BUNDLE", bundle)] + dataset.slides.map { .init("slide", $0.path) },
                                               enclosing: [.init("DATASET", path)])
        } catch {
            throw .unsafeOutput(error)
        }
        if let threads { Parallel.threadCount = threads }
        let engine = try EdgeEngine(path: bundle)
        let run = DatasetRun(dataset: dataset, shard: shard, folder: output, suffix: ".safetensors", settings: "bundle_sha256=\(engine.sha256)")
        let summary: DatasetSummary
        do throws(FormatError) {
            summary = try run.run(recorded: DatasetRun.recordedStamp(inFile:), process: { slide, output, stamp throws(DatasetRun.SlideFailure) in
                do throws(EdgeError) { try EdgeActions.embed(slide.path, engine: engine, to: output, metadata: [DatasetRun.stampKey: stamp]) } catch {
                    throw DatasetRun.SlideFailure(error.description)
                }
            }, report: { StandardError.write($0 + "\n") })
        } catch {
            throw .output(path: output, reason: error.description)
        }
        StandardError.write(summary.line + "\n")
        if let failure = summary.failureMessage { throw .input(failure) }
    }
}
