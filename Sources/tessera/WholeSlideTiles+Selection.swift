import Foundation
import TesseraSlide

extension WholeSlideTiles {
    /// The tiles of the slide file at `path` as `arguments` select them, the selection's progress,
    /// its unreadable tiles and a summary of it on stderr: what `tessera tile` writes and `tessera
    /// embed` streams.
    static func selecting(_ path: String, _ arguments: TilingArguments) throws -> WholeSlideTiles {
        let id = TileDataset.slideID(ofSlideAt: path)
        let slide = try WholeSlide(path: path)
        var options = arguments.options
        options.level = try arguments.level(for: slide)
        if let mpp = arguments.mpp, let found = slide.mpp(ofLevel: options.level) {
            FileHandle.standardError.write(text: "\(id): level \(options.level) (\(found) microns per pixel) is the nearest to --mpp \(mpp)\n")
        }
        var progress: ProgressLine?
        let tiling = try SlideTiling(slide: slide, options: options) { done, total in
            if progress == nil { progress = ProgressLine("\(id): select", total: total, unit: "tiles") }
            progress?.update(done)
        }
        progress?.finish()
        for (_, error) in tiling.skipped { FileHandle.standardError.write(text: "skipped \(error)\n") }
        FileHandle.standardError.write(text: "\(id): \(tiling.tiles.count) of \(tiling.candidates) tiles kept, \(tiling.skipped.count) "
            + "unreadable (foreground threshold \(tiling.threshold), region of interest \(tiling.roi.width)x\(tiling.roi.height) at "
            + "level \(options.level) from (\(tiling.roi.x), \(tiling.roi.y)))\n")
        return WholeSlideTiles(slide: slide, tiling: tiling)
    }
}
