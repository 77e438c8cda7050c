import Foundation
import TesseraCore
import TesseraPipeline

/// The slides a distillation reads: a folder of slide folders (each holding `{x}x_{y}y.png`
/// tiles; a folder holding the tiles itself is one slide), or a manifest, a text file with one
/// slide folder per line and an optional `train` / `val` column (relative paths are taken from
/// the manifest's folder; `#` starts a comment).
public struct DistillDataset: Sendable {
    public struct Slide: Sendable, Equatable {
        /// The folder's name, made unique with its index in the dataset where names repeat.
        public let name: String
        public let folder: String
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
        let entries: [(folder: String, validation: Bool)]
        if isFolder.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            if names.contains(where: PNGFileName.matches) {
                entries = [(path, false)]
            } else {
                entries = names.map { (path + "/" + $0, false) }.filter { Self.isFolder($0.0) }
            }
        } else {
            entries = try manifest(path)
        }
        guard !entries.isEmpty else { throw Failure(path: path, problem: "no slide folders") }
        var seen: [String: Int] = [:]
        let slides = entries.enumerated().map { index, entry -> Slide in
            let base = TileList.fileName(entry.folder)
            seen[base, default: 0] += 1
            return Slide(name: seen[base]! > 1 ? "\(base)-\(index)" : base, folder: entry.folder, isValidation: entry.validation)
        }
        return DistillDataset(slides: slides)
    }

    private static func manifest(_ path: String) throws -> [(folder: String, validation: Bool)] {
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
                throw Failure(path: path, problem: "line \(number + 1): expected 'FOLDER [train|val]', found '\(line)'")
            }
            let folder = first.hasPrefix("/") || base.isEmpty ? first : base + "/" + first
            guard isFolder(folder) else { throw Failure(path: path, problem: "line \(number + 1): \(folder) is not a folder") }
            return (folder, fields.count == 2 && fields[1] == "val")
        }
    }

    private static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }
}
