import Foundation
import TesseraPipeline

/// Shows a pipeline's events on stderr: one progress line per stage (tiles, then layers)
/// with rate and ETA, and skipped tiles and warnings on lines of their own.
struct PipelineReport {
    private var progress: ProgressLine?

    mutating func show(_ event: SlidePipeline.Event) {
        switch event {
        case .tiles(let done, let total): update("embed", "tiles", done, total)
        case .layers(let done, let total): update("slide encoder", "layers", done, total)
        case .skipped(let location, let error): line("skipped \(location): \(error)")
        case .warning(let text): line("warning: \(text)")
        }
    }

    /// Ends the current progress line, if one was drawn.
    mutating func finish() {
        progress?.finish()
        progress = nil
    }

    private mutating func update(_ label: String, _ unit: String, _ done: Int, _ total: Int) {
        if progress?.label != label {
            finish()
            progress = ProgressLine(label, total: total, unit: unit)
        }
        progress?.update(done)
    }

    private mutating func line(_ text: String) {
        finish()
        FileHandle.standardError.write(text: text + "\n")
    }
}
