import Foundation
import TesseraCore
import TesseraPipeline
import TesseraSlide

/// The slides a distillation reads: a folder of slides (each a slide folder of `{x}x_{y}y.png`
/// tiles or a whole-slide file; a folder holding the tiles itself is one slide), or a manifest, a
/// text file with one slide folder or whole-slide file per line and an optional `train` / `val`
/// column (relative paths are taken from the manifest's folder; `#` starts a comment). In a
/// folder of slides, a whole-slide file is one with a whole-slide extension or one OpenSlide
/// recognises (`WholeSlideFileName`; other files are not slides); in a manifest, any listed file
/// that is not a `.png` (`WholeSlideTiles.names`). One OpenSlide cannot open is an error naming
/// it when its tiles are first needed (`SlideReader`).
public struct DistillDataset: Sendable {
    public struct Slide: Sendable, Equatable {
        /// The folder's or file's name, made unique with its index in the dataset where names repeat.
        public let name: String
        /// A slide folder of PNG tiles, or a whole-slide file when `isWholeSlide`.
        public let path: String
        public let isWholeSlide: Bool
        public let isValidation: Bool
    }

    public let slides: [Slide]

    public var training: [Slide] { slides.filter { !$0.isValidation } }
    public var validation: [Slide] { slides.filter(\.isValidation) }

    public struct Failure: Error, CustomStringConvertible {
        public let path: String, problem: String
        public var description: String { "\(path): \(problem)" }
    }

    public init(slides: [Slide]) { self.slides = slides }

    public static func open(_ path: String) throws -> DistillDataset {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw Failure(path: path, problem: "no such file or folder")
        }
        let entries: [(path: String, validation: Bool)]
        if isFolder.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if names.contains(where: PNGFileName.matches) {
                entries = [(path, false)]
            } else {
                // Other files beside the slides (a README, the labels) are not slides.
                entries = names.map { (path + "/" + $0, false) }.filter { TileList.isFolder($0.0) || WholeSlideFileName.matches($0.0) }
            }
        } else {
            entries = try manifest(path)
        }
        guard !entries.isEmpty else { throw Failure(path: path, problem: "no slide folders or whole-slide files") }
        var seen: [String: Int] = [:]
        let slides = entries.enumerated().map { index, entry -> Slide in
            let base = TileList.fileName(entry.path)
            seen[base, default: 0] += 1
            return Slide(name: seen[base]! > 1 ? "\(base)-\(index)" : base, path: entry.path,
                         isWholeSlide: !TileList.isFolder(entry.path), isValidation: entry.validation)
        }
        return DistillDataset(slides: slides)
    }

    private static func manifest(_ path: String) throws -> [(path: String, validation: Bool)] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw Failure(path: path, problem: "cannot read the manifest (\(error.localizedDescription))")
        }
        let base = (path as NSString).deletingLastPathComponent
        return try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { number, raw in
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = fields.first else { return nil }
            guard fields.count <= 2, fields.count == 1 || ["train", "val"].contains(fields[1]) else {
                throw Failure(path: path, problem: "line \(number + 1): expected 'SLIDE [train|val]', found '\(line)'")
            }
            let slide = first.hasPrefix("/") || base.isEmpty ? first : base + "/" + first
            guard FileManager.default.fileExists(atPath: slide) else {
                throw Failure(path: path, problem: "line \(number + 1): \(slide): no such slide folder or whole-slide file")
            }
            guard isSlide(slide) else {
                throw Failure(path: path, problem: "line \(number + 1): \(slide) is a PNG tile, not a slide folder or whole-slide file")
            }
            return (slide, fields.count == 2 && fields[1] == "val")
        }
    }

    /// A slide folder, or a file taken for a whole-slide file (not a `.png`).
    private static func isSlide(_ path: String) -> Bool {
        TileList.isFolder(path) || WholeSlideTiles.names(path)
    }
}
