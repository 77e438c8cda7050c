import ArgumentParser
import Foundation
import TesseraCore
import TesseraImage
import TesseraIO
import TesseraSlide

struct TileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tile",
        abstract: "Cut whole-slide images into tile PNGs and a dataset.csv, as prov-gigapath's tile_one_slide does.",
        discussion: """
        Reads each slide through OpenSlide, a region at a time. The foreground threshold comes from \
        Otsu on the smallest level (unless given); one box around every foreground pixel of that \
        level is the region of interest; a grid of tiles is laid over it at --level, centred; tiles \
        with more than --occupancy-threshold foreground are kept. Writes OUT/<slide file \
        name>/{x:05d}x_{y:05d}y.png and OUT/<slide file name>/dataset.csv.

        By default tiles are named by their true level-0 top-left corner, their pixels are the \
        slide's own there (white past the slide's edge) and occupancy is exact. With --compat \
        prov-gigapath, names, pixels and occupancy are exactly upstream's, bugs included (swapped \
        axes in the names, black rows past the slide's edge, white outside the region of interest, \
        float16 occupancy that reads inf on full tiles). See README, "tessera tile".

        Example:
          tessera tile slides/a.svs slides/b.svs -o tiles --compat prov-gigapath
        """)

    @Argument(help: "Whole-slide files (any format OpenSlide reads); their file names must be distinct.")
    var slides: [String]

    @Option(name: .shortAndLong, help: "Output folder (created if missing); each slide gets a folder named like its file.")
    var output: String

    @OptionGroup(title: "Tiling") var tiling: TilingArguments

    @OptionGroup var threads: ThreadsOption

    func validate() throws {
        let ids = slides.map(TileDataset.slideID(ofSlideAt:))
        if let twice = ids.first(where: { id in ids.filter { $0 == id }.count > 1 }) {
            throw ValidationError("two slides share the file name '\(twice)' (each names its output folder)")
        }
    }

    func run() throws {
        // Output safety before any work: the folders are not (and do not hold) an input.
        let inputs = slides.map { InputOutputOverlap.Input("slide", $0) }
        try InputOutputOverlap.checkFolder(output, option: "-o", inputs: inputs)
        for slide in slides {
            try InputOutputOverlap.checkFolder(folder(of: slide), option: "-o", inputs: inputs)
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        threads.apply()
        let options = tiling.options
        for path in slides {
            try tile(path, options: options)
        }
    }

    func folder(of slide: String) -> String { output + "/" + TileDataset.slideID(ofSlideAt: slide) }

    func tile(_ path: String, options: TilingOptions) throws {
        let source = try WholeSlideTiles.selecting(path, options: options)
        let id = TileDataset.slideID(ofSlideAt: path)
        let folder = folder(of: path)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var writing = ProgressLine("\(id): write", total: source.count, unit: "tiles")
        let encoder = PNGEncoder()
        let batch = max(16, 4 * Parallel.threadCount)
        var start = 0
        while start < source.count {
            let end = min(source.count, start + batch)
            var failures = [String?](repeating: nil, count: end - start)
            failures.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(end - start) { k in
                    let tile = start + k
                    do {
                        let png = try encoder.encode(try source.image(of: tile))
                        let file = try AtomicFile(path: folder + "/" + source.name(of: tile))
                        try png.withUnsafeBytes { try file.write($0) }
                        try file.commit()
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
        let csv = try AtomicFile(path: folder + "/" + TileDataset.csvName)
        try Array(TileDataset.csv(slideID: id, tiling: source.tiling).utf8).withUnsafeBytes { try csv.write($0) }
        try csv.commit()
        FileHandle.standardError.write(text: "\(id): \(source.count) tiles and \(TileDataset.csvName) -> \(folder)\n")
    }
}
