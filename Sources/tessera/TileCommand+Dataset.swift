import Foundation
import TesseraCore
import TesseraIO
import TesseraPipeline
import TesseraSlide

extension TileCommand {
    /// `tessera tile DATASET -o OUT`: each slide of the shard through `tile`, the single-slide
    /// path, into `OUT/<slide name>/` (`DatasetRun`).
    func runDataset() throws {
        let dataset = try SlideDataset.open(slides[0], isWholeSlideFile: WholeSlideFileName.matches)
        try InputOutputOverlap.checkFolder(output, option: "-o", inputs: dataset.slides.map { .init("slide", $0.path) },
                                           enclosing: [.init("DATASET", slides[0])])
        threads.apply()
        let run = DatasetRun(dataset: dataset, shard: try shard.value(), folder: output, suffix: "",
                             settings: tiling.settings)
        let summary = try run.run(recorded: DatasetRun.recordedStamp(inFolder:), process: { slide, output, stamp throws(DatasetRun.SlideFailure) in
            do { try tile(slide.path, to: output, stamp: stamp) } catch { throw DatasetRun.SlideFailure("\(error)") }
        }, report: { FileHandle.standardError.write(text: $0 + "\n") })
        FileHandle.standardError.write(text: summary.line + "\n")
        if let failure = summary.failureMessage { throw CLIMessage(failure) }
    }
}
