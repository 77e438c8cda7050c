import TesseraCore
import TesseraImage

/// The tiles prov-gigapath's `tile_one_slide` → `process_slide` keeps, worked out from the
/// slide through OpenSlide a region at a time (docs: README, "tessera tile"):
///
/// 1. the foreground threshold: Otsu on the float16 luminance of the smallest level, unless given;
/// 2. the region of interest (ROI): one box around every foreground pixel of that level, scaled
///    to level 0 by the level's downsample, x, y, width and height each truncated;
/// 3. a grid of `tileSize` tiles over the ROI at the chosen level, the ROI centred in it (upstream
///    pads it symmetrically with white to multiples of the tile size);
/// 4. a tile is kept when its foreground fraction is above the occupancy threshold.
///
/// `tiles` are in the grid's row order, as upstream writes `dataset.csv`. In prov-gigapath mode a
/// tile's pixels are upstream's: the ROI's pixels (black past the slide's edge, where OpenSlide
/// returns transparent pixels), white outside the ROI. In exact mode they are the slide's own
/// at the tile's level-0 position, white past the slide's edge (never read).
public struct SlideTiling: Sendable {
    public let options: TilingOptions
    /// The foreground threshold used (in prov-gigapath mode a float16 value).
    public let threshold: Double
    /// The ROI: level-0 top-left corner, size in pixels of the tiling level.
    public let roi: (x: Int, y: Int, width: Int, height: Int)
    /// White columns left of and rows above the ROI in the grid.
    public let padding: (left: Int, top: Int)
    /// Tiles of the grid, kept or not.
    public let candidates: Int
    /// The kept tiles, in the grid's row order.
    public let tiles: [SlideTile]
    /// The grid's tiles OpenSlide could not read (`.unreadableTile` errors), in row order: neither
    /// kept nor counted, reported by the caller.
    public let skipped: [(tile: SlideTile, error: SlideError)]

    /// The most pixels one read of the segmentation level holds (a larger level is read in strips).
    public static let segmentationPixels = 1 << 24

    /// Works out the tiles of `slide`; `progress(done, total)` is called on this thread as the
    /// grid's tiles are read. `segmentationPixels`: see `SlideTiling.segmentationPixels`.
    public init(slide: WholeSlide, options: TilingOptions, segmentationPixels: Int = SlideTiling.segmentationPixels,
                progress: (Int, Int) -> Void = { _, _ in }) throws(SlideError) {
        guarantee(options.tileSize > 0, "tile size \(options.tileSize)")
        self.options = options
        let level = try slide.level(options.level)
        let compat = options.mode == .provGigapath
        if compat && level.downsample != level.downsample.rounded(.down) {
            throw SlideError(path: slide.path, problem: .fractionalDownsample(level: options.level, downsample: level.downsample))
        }

        // 1 and 2: threshold and ROI from the smallest level, read in strips.
        let smallest = slide.levels[slide.levels.count - 1]
        let scan = try TissueScan(slide: slide, level: slide.levels.count - 1, stripPixels: segmentationPixels)
        let foreground: Foreground
        if compat {
            // Upstream compares float16 luminance with the threshold cast to float16 (numpy 2).
            foreground = .float16(options.foregroundThreshold.map { Float16($0) } ?? scan.otsu ?? 0)
        } else {
            foreground = .exact(options.foregroundThreshold ?? scan.otsu.map(Double.init) ?? 0)
        }
        threshold = foreground.threshold
        guard let (minX, minY, maxX, maxY) = scan.box(foreground) else { throw SlideError(path: slide.path, problem: .noForeground) }
        // Box * downsample truncates each of x, y, w, h; the size at the level is Box * (1 / downsample).
        let toZero = smallest.downsample, toLevel = 1 / level.downsample
        let x0 = Int(Double(minX) * toZero), y0 = Int(Double(minY) * toZero)
        let w0 = Int(Double(maxX - minX + 1) * toZero), h0 = Int(Double(maxY - minY + 1) * toZero)
        let width = Int(Double(w0) * toLevel), height = Int(Double(h0) * toLevel)
        guard width > 0, height > 0 else { throw SlideError(path: slide.path, problem: .noForeground) }
        roi = (x0, y0, width, height)

        // 3: the grid.
        let size = options.tileSize
        let padX = (size - width % size) % size, padY = (size - height % size) % size
        padding = (padX / 2, padY / 2)
        let columns = (width + padX) / size, rows = (height + padY) / size
        candidates = columns * rows
        var grid: [SlideTile] = []
        grid.reserveCapacity(candidates)
        for row in 0..<rows {
            for column in 0..<columns {
                let relX = size * column - padding.left, relY = size * row - padding.top
                grid.append(compat
                    ? Self.upstreamTile(relX, relY, roi: roi, level: options.level, downsample: level.downsample, size: size)
                    : Self.exactTile(relX, relY, roi: roi, level: options.level, bounds: level, size: size))
            }
        }

        // 4: occupancy, the grid's tiles read in parallel, a batch at a time. A tile OpenSlide
        // cannot read (a corrupt JPEG tile) is skipped and reported; any other error is the slide's.
        var occupancy = [Double](repeating: 0, count: grid.count)
        var unreadable = [String?](repeating: nil, count: grid.count)
        let batch = max(16, 4 * Parallel.threadCount)
        var start = 0
        while start < grid.count {
            let end = min(grid.count, start + batch)
            var errors = [SlideError?](repeating: nil, count: end - start)
            occupancy.withUnsafeMutableBufferPointer { out in
                errors.withUnsafeMutableBufferPointer { errorsOut in
                    Parallel.forEach(end - start) { k in
                        do throws(SlideError) {
                            let image = try Self.pixels(of: grid[start + k], slide: slide, size: size)
                            out[start + k] = foreground.occupancy(image.pixels)
                        } catch {
                            errorsOut[k] = error
                        }
                    }
                }
            }
            for (k, error) in errors.enumerated() {
                guard let error else { continue }
                guard case .openSlide(let message) = error.problem else { throw error }
                unreadable[start + k] = message
            }
            start = end
            progress(start, grid.count)
        }
        skipped = grid.indices.compactMap { i in
            unreadable[i].map { message in
                let t = grid[i]
                return (tile: t, error: SlideError(path: slide.path, problem: .unreadableTile(name: t.name, x: t.x, y: t.y, message: message)))
            }
        }
        // A slide none of whose tiles can be read is a broken slide, not an empty selection.
        if let first = skipped.first, skipped.count == grid.count(where: { $0.read != nil }) { throw first.error }
        let keep = foreground.keeps(above: options.occupancyThreshold)
        tiles = grid.indices.filter { unreadable[$0] == nil && keep(occupancy[$0]) }.map { i in
            let t = grid[i]
            return SlideTile(nameX: t.nameX, nameY: t.nameY, x: t.x, y: t.y, occupancy: occupancy[i], read: t.read)
        }
    }

    /// The tile's RGB pixels (`tileSize` x `tileSize`), as the tiling's mode defines them.
    public func image(of tile: SlideTile, from slide: WholeSlide) throws(SlideError) -> RGBImage {
        try Self.pixels(of: tile, slide: slide, size: options.tileSize)
    }

    static func pixels(of tile: SlideTile, slide: WholeSlide, size: Int) throws(SlideError) -> RGBImage {
        var image = RGBImage(width: size, height: size, pixels: [UInt8](repeating: 255, count: size * size * 3))
        guard let read = tile.read else { return image }
        let part = try slide.region(x: read.levelZeroX, y: read.levelZeroY, level: read.level, width: read.width, height: read.height)
        part.pixels.withUnsafeBufferPointer { source in
            image.pixels.withUnsafeMutableBufferPointer { target in
                for row in 0..<read.height {
                    let from = 3 * row * read.width, to = 3 * ((read.tileY + row) * size + read.tileX)
                    for k in 0..<(3 * read.width) { target[to + k] = source[from + k] }
                }
            }
        }
        return image
    }
}
