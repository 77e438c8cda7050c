import Foundation
import TesseraSlide

extension WholeSlideTiles {
    /// The tiles of the slide file at `path` as `options` select them, the selection's progress
    /// and a summary of it on stderr: what `tessera tile` writes and `tessera embed` streams.
    static func selecting(_ path: String, options: TilingOptions) throws -> WholeSlideTiles {
        let id = TileDataset.slideID(ofSlideAt: path)
        var progress: ProgressLine?
        let source = try WholeSlideTiles(path: path, options: options) { done, total in
            if progress == nil { progress = ProgressLine("\(id): select", total: total, unit: "tiles") }
            progress?.update(done)
        }
        progress?.finish()
        let tiling = source.tiling
        FileHandle.standardError.write(text: "\(id): \(tiling.tiles.count) of \(tiling.candidates) tiles kept (foreground threshold "
            + "\(tiling.threshold), region of interest \(tiling.roi.width)x\(tiling.roi.height) at level \(options.level) "
            + "from (\(tiling.roi.x), \(tiling.roi.y)))\n")
        return source
    }
}
