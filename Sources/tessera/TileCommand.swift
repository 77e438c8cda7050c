import ArgumentParser
import Foundation
import TesseraCore
import TesseraImage
import TesseraIO
import TesseraPipeline
import TesseraSlide

struct TileCommand: ParsableCommand {
    /// The picture of the slide with the kept tiles outlined, beside the tiles.
    static let thumbnailName = "thumbnail.png"

    static let configuration = CommandConfiguration(
        commandName: "tile",
        abstract: "Cut whole-slide images into tile PNGs and a dataset.csv, as prov-gigapath's tile_one_slide does.",
        discussion: """
        Reads each slide through OpenSlide, a region at a time. The foreground threshold comes from \
        Otsu on the smallest level (unless given); one box around every foreground pixel of that \
        level is the region of interest; a grid of tiles is laid over it at --level, centred; tiles \
        with more than --occupancy-threshold foreground are kept. Writes OUT/<slide file \
        name>/{x:05d}x_{y:05d}y.png, OUT/<slide file name>/dataset.csv and OUT/<slide file \
        name>/thumbnail.png (the slide at most 1024 pixels across, the kept tiles outlined in green). \
        Tiles are read and encoded on --threads threads; memory stays bounded whatever the slide's \
        size (no level is ever read whole).

        By default tiles are named by their true level-0 top-left corner, their pixels are the \
        slide's own there (white past the slide's edge) and occupancy is exact. With --compat \
        prov-gigapath, names, pixels and occupancy are exactly upstream's, bugs included (swapped \
        axes in the names, black rows past the slide's edge, white outside the region of interest, \
        float16 occupancy that reads inf on full tiles). See README, "tessera tile".

        A slide that cannot be tiled (not a slide, damaged: formats/tiff-precheck.md) is reported \
        and nothing is written for it; the other slides are still tiled and the exit status is 1. \
        A tile that cannot be decoded is reported by name and position and left out.

        SLIDE may also be a DATASET: a folder of whole-slide files or a manifest (a .txt, .csv or \
        .tsv file, one slide per line). Each slide's folder then records the stamp \
        dataset-input.json (slide, tiling options) and a slide whose folder records the same is \
        skipped, so a rerun resumes; OUT/summary.json says what became of each slide, merged \
        across the runs that share OUT; --shard K/N (0-based K) takes slide i only when i mod N = \
        K, one job of a job array (formats/dataset.md).

        Example:
          tessera tile slides/a.svs slides/b.svs -o tiles --compat prov-gigapath
          tessera tile slides/a.svs -o tiles --mpp 0.5
          tessera tile cohort/ -o tiles --shard $SLURM_ARRAY_TASK_ID/8
        """)

    @Argument(help: "Whole-slide files (any format OpenSlide reads; their file names must be distinct), or a DATASET: a folder of them or a .txt/.csv/.tsv manifest.")
    var slides: [String]

    @Option(name: .shortAndLong, help: "Output folder (created if missing); each slide gets a folder named like its file.")
    var output: String

    @OptionGroup(title: "Tiling") var tiling: TilingArguments

    @Option(help: "zlib level of the PNGs, 0-9: 1 is the fastest that compresses, 9 the smallest (upstream's Pillow uses 6); the pixels are the same.")
    var pngLevel: Int = 1

    @OptionGroup var threads: ThreadsOption

    @OptionGroup var shard: ShardOption

    func validate() throws {
        guard (0...9).contains(pngLevel) else { throw ValidationError("--png-level must be between 0 and 9, got \(pngLevel)") }
        if shard.shard != nil {
            guard dataset else { throw ValidationError("--shard applies to a DATASET (a folder of whole-slide files or a manifest)") }
        }
        let ids = slides.map(TileDataset.slideID(ofSlideAt:))
        if let twice = ids.first(where: { id in ids.filter { $0 == id }.count > 1 }) {
            throw ValidationError("two slides share the file name '\(twice)' (each names its output folder)")
        }
    }

    /// One argument that is a folder of slides or a manifest (`SlideDataset.isDataset`).
    var dataset: Bool { slides.count == 1 && SlideDataset.isDataset(slides[0], isWholeSlideFile: WholeSlideFileName.matches) }

    func run() throws {
        if dataset { return try runDataset() }
        // Output safety before any work: the folders are not (and do not hold) an input.
        let inputs = slides.map { InputOutputOverlap.Input("slide", $0) }
        try InputOutputOverlap.checkFolder(output, option: "-o", inputs: inputs)
        for slide in slides {
            try InputOutputOverlap.checkFolder(folder(of: slide), option: "-o", inputs: inputs)
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        threads.apply()
        // A slide that fails leaves nothing in OUT and the others go on; the exit status says.
        var failed = 0
        for path in slides {
            do {
                try tile(path, to: folder(of: path))
            } catch {
                failed += 1
                FileHandle.standardError.write(text: "error: \(error)\n")
            }
        }
        if failed > 0 { throw CLIMessage("\(failed) of \(slides.count) slides not tiled (see above); nothing written for them") }
    }

    func folder(of slide: String) -> String { output + "/" + TileDataset.slideID(ofSlideAt: slide) }

    /// The slide at `path` into the folder `destination` (in OUT), with a dataset run's `stamp`
    /// (`DatasetRun.stampFileName`) where given: the single-slide command, and each slide of a dataset.
    func tile(_ path: String, to destination: String, stamp: String? = nil) throws {
        let started = MonotonicClock.seconds
        let source = try WholeSlideTiles.selecting(path, tiling)
        let id = TileDataset.slideID(ofSlideAt: path)
        // Everything goes to a hidden folder beside the result, renamed into place once complete.
        let staging = output + "/.\(TileList.fileName(destination)).partial-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: false)
        do {
            try write(source, id: id, into: staging)
            if let stamp { try write(Array(stamp.utf8), to: staging + "/" + DatasetRun.stampFileName) }
            try commit(staging, as: destination)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
        FileHandle.standardError.write(text: "\(id): \(source.count) tiles, \(TileDataset.csvName) and \(TileCommand.thumbnailName) -> "
            + "\(destination) in "
            + String(format: "%.2f s, peak RSS %.0f MB\n", MonotonicClock.seconds - started, Double(PeakMemory.residentBytes) / 1_048_576))
    }

    /// Puts the complete `staging` folder in the place of `folder`, whose earlier contents (a
    /// previous run's tiles) go: the result holds this run's tiles only.
    func commit(_ staging: String, as folder: String) throws {
        let manager = FileManager.default
        let earlier = staging + ".earlier"
        let replacing = manager.fileExists(atPath: folder)
        if replacing { try manager.moveItem(atPath: folder, toPath: earlier) }
        try manager.moveItem(atPath: staging, toPath: folder)
        if replacing { try manager.removeItem(atPath: earlier) }
    }

    /// The tiles' PNGs, dataset.csv and the thumbnail into `folder`.
    func write(_ source: WholeSlideTiles, id: String, into folder: String) throws {
        var writing = ProgressLine("\(id): write", total: source.count, unit: "tiles")
        let encoder = PNGEncoder(level: pngLevel)
        let batch = max(16, 4 * Parallel.threadCount)
        var start = 0
        while start < source.count {
            let end = min(source.count, start + batch)
            var failures = [String?](repeating: nil, count: end - start)
            failures.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(end - start) { k in
                    let tile = start + k
                    do {
                        try write(try encoder.encode(try source.image(of: tile)), to: folder + "/" + source.name(of: tile))
                    } catch {
                        out[k] = "\(source.location(of: tile)): \(error)"
                    }
                }
            }
            if let failure = failures.lazy.compactMap({ $0 }).first { throw CLIMessage(failure) }
            start = end
            writing.update(start)
        }
        writing.finish()
        var thumbnail = try SlideThumbnail(slide: source.slide)
        try thumbnail.outline(source.tiling, on: source.slide)
        try write(try encoder.encode(thumbnail.image), to: folder + "/" + TileCommand.thumbnailName)
        try write(Array(TileDataset.csv(slideID: id, tiling: source.tiling).utf8), to: folder + "/" + TileDataset.csvName)
    }

    func write(_ bytes: [UInt8], to path: String) throws {
        let file = try AtomicFile(path: path)
        try bytes.withUnsafeBytes { try file.write($0) }
        try file.commit()
    }
}
