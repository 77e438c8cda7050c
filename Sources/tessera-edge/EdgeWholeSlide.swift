import TesseraCore
import TesseraEdgeModels
import TesseraPipeline
#if !TESSERA_EDGE_NO_OPENSLIDE
import TesseraSlide
#endif

/// The tiles of a whole-slide file for `tessera-edge run`: those `tessera tile` writes in its
/// default mode (level 0, 256-pixel tiles), read through OpenSlide as they are embedded. A tile
/// the selection could not read (a corrupt JPEG tile) is reported by name on stderr, as `tessera
/// tile` and `tessera embed` report it (the run counts it among the skipped). The aarch64 build without
/// OpenSlide (scripts/build-aarch64: `tessera-edge-static`, compiled with
/// TESSERA_EDGE_NO_OPENSLIDE) refuses the file instead.
enum EdgeWholeSlide {
    /// Which files in a folder of slides are whole-slide files (`SlideDataset`): as TesseraSlide's
    /// `WholeSlideFileName` says; without OpenSlide, every file but a PNG, so that each is
    /// refused by name rather than silently left out.
    static func isWholeSlideFile(_ path: String) -> Bool {
        #if TESSERA_EDGE_NO_OPENSLIDE
        !PNGFileName.matches(path)
        #else
        WholeSlideFileName.matches(path)
        #endif
    }

    static func tiles(_ path: String, progress: inout EdgeProgress) throws(EdgeError) -> any TileSource {
        #if TESSERA_EDGE_NO_OPENSLIDE
        throw .input("\(path): not a folder of tiles (this build of tessera-edge reads no whole-slide files: use tessera-edge, linked with libopenslide)")
        #else
        do {
            let tiles = try WholeSlideTiles(path: path, options: TilingOptions()) { progress.selecting($0, $1) }
            for (_, error) in tiles.tiling.skipped { progress.report("skipped \(error)") }
            return tiles
        } catch {
            throw .input(error.description)
        }
        #endif
    }
}
