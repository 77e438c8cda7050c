import TesseraPipeline
import TesseraSlide

/// Where a distillation gets each slide's tiles, in file-name order: a slide folder's PNGs
/// (`TileList`), or a whole-slide file's tiles as `tessera tile` writes them with the run's
/// `tiling` (`WholeSlideTiles`), read from the slide, no PNG written. Both give the same names,
/// level-0 positions and pixels (PNG is lossless), so a whole-slide file trains exactly as the
/// folder `tessera tile` writes for it. A whole-slide file's selection reads every tile of its
/// grid: it is worked out once per run and kept (a few numbers a tile). Only the last file used
/// is kept open (its next use, the read after the teacher cache's check, needs no new handle):
/// every OpenSlide handle holds a cache of decoded tiles of its own.
public final class SlideReader {
    public let tiling: TilingOptions
    /// The selections made so far, by slide path.
    private var selections: [String: SlideTiling] = [:]
    private var recent: WholeSlideTiles?

    public init(tiling: TilingOptions) { self.tiling = tiling }

    /// The slide's tiles, N of them; `skip` hears of a grid tile OpenSlide cannot read (left out
    /// of the selection, as `tessera tile` leaves it out of the folder) when the selection is made.
    public func tiles(of slide: DistillDataset.Slide, skip: (String, any Error) -> Void) throws -> any TileSource {
        guard slide.isWholeSlide else { return try TileList.resolve([slide.path]) }
        if let recent, recent.slide.path == slide.path { return recent }
        let file = try WholeSlide(path: slide.path)
        let selection: SlideTiling
        if let made = selections[slide.path] {
            selection = made
        } else {
            selection = try SlideTiling(slide: file, options: tiling)
            for (tile, error) in selection.skipped { skip(slide.path + ": " + tile.name, error) }
            selections[slide.path] = selection
        }
        let tiles = WholeSlideTiles(slide: file, tiling: selection)
        recent = tiles
        return tiles
    }

    /// The slide's tiles named `names`, in that order, decoded and cropped (`SlideTiles.read`); a
    /// name the slide no longer has is an error naming the slide.
    public func read(_ slide: DistillDataset.Slide, names: [String], skip: (String, any Error) -> Void) throws -> SlideTiles {
        let source = try tiles(of: slide, skip: skip)
        var rowOf: [String: Int] = [:]
        for row in 0..<source.count { rowOf[source.name(of: row)] = row }
        let rows = try names.map { name in
            guard let row = rowOf[name] else { throw Missing(slide: slide.path, tile: name) }
            return row
        }
        return SlideTiles.read(source, rows: rows, skip: skip)
    }

    /// A tile the teacher cache lists that the slide no longer has.
    public struct Missing: Error, CustomStringConvertible {
        public let slide: String, tile: String
        public var description: String {
            "\(slide): tile \(tile) of the teacher cache is no longer among the slide's tiles; recompute the cache"
        }
    }
}
