import CPosix
import TesseraCore
import TesseraImage
import TesseraIO

/// A dataset of slides: a folder of slides (each a slide folder of `{x}x_{y}y.png` tiles or a
/// whole-slide file; a folder holding the tiles itself is one slide), or a manifest, a text file
/// with one slide folder or whole-slide file per line and an optional `train` / `val` column
/// (relative paths are taken from the manifest's folder; `#` starts a comment). In a folder of
/// slides, a whole-slide file is one `isWholeSlideFile` takes for one (TesseraSlide's
/// `WholeSlideFileName`: an extension or OpenSlide's word; other files are not slides); in a
/// manifest, any listed file that is not a `.png`. Embeddable: the one listing of `tessera
/// distill`, `tessera embed`, `tessera tile` and `tessera-edge run` (which passes no OpenSlide
/// check where it is built without OpenSlide).
public struct SlideDataset: Sendable {
    public struct Slide: Sendable, Equatable {
        /// The folder's or file's name, made unique with its index in the dataset where names repeat.
        public let name: String
        /// A slide folder of PNG tiles, or a whole-slide file when `isWholeSlide`.
        public let path: String
        public let isWholeSlide: Bool
        public let isValidation: Bool

        public init(name: String, path: String, isWholeSlide: Bool, isValidation: Bool) {
            self.name = name
            self.path = path
            self.isWholeSlide = isWholeSlide
            self.isValidation = isValidation
        }
    }

    public let slides: [Slide]

    public struct Failure: Error, CustomStringConvertible {
        public let path: String, problem: String
        public init(path: String, problem: String) {
            self.path = path
            self.problem = problem
        }
        public var description: String { "\(path): \(problem)" }
    }

    /// The extensions, in any case, of a manifest given where a single slide could be
    /// (`tessera embed`, `tessera tile`, `tessera-edge run`): other files are slides.
    public static let manifestExtensions = ["txt", "csv", "tsv"]

    public init(slides: [Slide]) { self.slides = slides }

    /// Whether a command's input names a dataset rather than one slide: a folder with no PNG
    /// tiles directly inside and at least one slide (a folder, or a file `isWholeSlideFile`
    /// takes for a whole-slide file; an empty folder stays a slide folder without tiles, an
    /// error as such), or a file with a manifest extension.
    public static func isDataset(_ path: String, isWholeSlideFile: (String) -> Bool) -> Bool {
        if TileList.isFolder(path) {
            let names = ((try? FolderListing.names(in: path)) ?? []).filter { !$0.hasPrefix(".") }
            return !names.contains(where: PNGFileName.matches)
                && names.contains { TileList.isFolder(path + "/" + $0) || isWholeSlideFile(path + "/" + $0) }
        }
        let name = TileList.fileName(path)
        guard let dot = name.utf8.lastIndex(of: UInt8(ascii: ".")) else { return false }
        // ASCII lower case by bytes: Embedded Swift has no Unicode case tables.
        let tail = name.utf8[name.utf8.index(after: dot)...].map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
        return manifestExtensions.contains { Array($0.utf8) == tail }
    }

    public static func open(_ path: String, isWholeSlideFile: (String) -> Bool) throws(Failure) -> SlideDataset {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(path: path, problem: "no such file or folder") }
        var entries: [(path: String, validation: Bool)]
        if TileList.isFolder(path) {
            let names: [String]
            do { names = try FolderListing.names(in: path) } catch {
                throw Failure(path: path, problem: "cannot list the folder (\(error.problem.explanation))")
            }
            let visible = names.filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if visible.contains(where: PNGFileName.matches) {
                entries = [(path, false)]
            } else {
                // Other files beside the slides (a README, the labels) are not slides.
                entries = []
                for name in visible {
                    let slide = path + "/" + name
                    if TileList.isFolder(slide) || isWholeSlideFile(slide) { entries.append((slide, false)) }
                }
            }
        } else {
            entries = try manifest(path, isWholeSlideFile: isWholeSlideFile)
        }
        guard !entries.isEmpty else { throw Failure(path: path, problem: "no slide folders or whole-slide files") }
        var seen: [String: Int] = [:]
        var slides: [Slide] = []
        for (index, entry) in entries.enumerated() {
            let base = TileList.fileName(entry.path)
            let count = (seen[base] ?? 0) + 1
            seen[base] = count
            slides.append(Slide(name: count > 1 ? "\(base)-\(index)" : base, path: entry.path,
                                isWholeSlide: !TileList.isFolder(entry.path), isValidation: entry.validation))
        }
        return SlideDataset(slides: slides)
    }

    private static func manifest(_ path: String, isWholeSlideFile: (String) -> Bool) throws(Failure) -> [(path: String, validation: Bool)] {
        let text: String
        do {
            let file = try MappedFile(path: path)
            text = String(decoding: file.bytes, as: UTF8.self)
        } catch {
            throw Failure(path: path, problem: "cannot read the manifest (\(error.description))")
        }
        let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        let base = slash.map { $0 == path.utf8.startIndex ? "/" : String(path[..<$0]) } ?? ""
        var entries: [(path: String, validation: Bool)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map { String($0) } ?? ""
            let fields = line.split { $0 == " " || $0 == "\t" || $0 == "\r" }.map { String($0) }
            guard let first = fields.first else { continue }
            guard fields.count <= 2, fields.count == 1 || fields[1] == "train" || fields[1] == "val" else {
                throw Failure(path: path, problem: "line \(number + 1): expected 'SLIDE [train|val]', found '\(line)'")
            }
            let slide = first.hasPrefix("/") || base.isEmpty ? first : base + "/" + first
            var info = stat()
            guard stat(slide, &info) == 0 else {
                throw Failure(path: path, problem: "line \(number + 1): \(slide): no such slide folder or whole-slide file")
            }
            // A slide folder, or a file taken for a whole-slide file (not a `.png`).
            guard TileList.isFolder(slide) || isWholeSlideFile(slide) || !PNGFileName.matches(slide) else {
                throw Failure(path: path, problem: "line \(number + 1): \(slide) is a PNG tile, not a slide folder or whole-slide file")
            }
            entries.append((slide, fields.count == 2 && fields[1] == "val"))
        }
        return entries
    }
}
