import TesseraCore
import TesseraIO
import TesseraPipeline
import TesseraSlide

extension EmbedCommand {
    /// `tessera embed DATASET -o OUT_DIR`: each slide of the shard through `embed`, the
    /// single-slide command's path, into `OUT_DIR/<slide name>.safetensors` (`DatasetRun`).
    func runDataset() throws {
        let dataset = try SlideDataset.open(tiles[0], isWholeSlideFile: WholeSlideFileName.matches)
        try InputOutputOverlap.checkFolder(output, option: "-o", inputs: dataset.slides.map { .init("slide", $0.path) } + modelInputs,
                                           enclosing: [.init("DATASET", tiles[0])])
        threads.apply()
        let models = try loadModels()
        let run = DatasetRun(dataset: dataset, shard: try shard.value(), folder: output, suffix: ".safetensors", settings: settings(of: models))
        let summary = try run.run(recorded: DatasetRun.recordedStamp(inFile:), process: { slide, output, stamp throws(DatasetRun.SlideFailure) in
            do { try embed([slide.path], models: models, to: output, metadata: [DatasetRun.stampKey: stamp]) } catch {
                throw DatasetRun.SlideFailure("\(error)")
            }
        }, report: Self.report)
        Self.report(summary.line)
        if let failure = summary.failureMessage { throw CLIMessage(failure) }
    }

    /// What the outputs' numbers depend on besides the slide: the models' weights and the options.
    func settings(of models: Models) -> String {
        var parts = ["tile_encoder_sha256=\(models.tileEncoder.weightsSHA256)", "arch=\(models.tileEncoder.model.config.architecture)"]
        if let slideEncoder = models.slideEncoder {
            parts += ["slide_encoder_sha256=\(slideEncoder.weightsSHA256)", "pool=\(slide.pool.rawValue)",
                      "heads=\(slideEncoder.model.config.heads)", "coord_scale=\(slide.coordScale)"]
        }
        // f32 outputs keep the stamp they had before bf16 existed: their finished slides stay finished.
        if precision.precision != .f32 { parts.append("precision=\(precision.precision.rawValue)") }
        return (parts + [tiling.settings, "hidden_states=\(hiddenStates)"]).joined(separator: " ")
    }
}
