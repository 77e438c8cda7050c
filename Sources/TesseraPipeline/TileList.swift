import TesseraCore
import TesseraModels
import Foundation

/// The tiles of one run, in order: a slide folder's PNGs sorted by file name,
/// or PNG paths in the order given.
public struct TileList: Sendable {
    public let paths: [String]

    public struct Error: Swift.Error, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    public init(paths: [String]) { self.paths = paths }

    /// One folder argument lists its `*.png` files (hidden files excluded) in
    /// byte-wise name order; otherwise every argument is a tile.
    public static func resolve(_ arguments: [String]) throws -> TileList {
        var isFolder: ObjCBool = false
        guard arguments.count == 1, FileManager.default.fileExists(atPath: arguments[0], isDirectory: &isFolder),
              isFolder.boolValue else { return TileList(paths: arguments) }
        let folder = arguments[0]
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw Error(path: folder, problem: "cannot list the folder (\(error.localizedDescription))")
        }
        let tiles = names.filter { !$0.hasPrefix(".") && $0.lowercased().hasSuffix(".png") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !tiles.isEmpty else { throw Error(path: folder, problem: "no .png tiles in the folder") }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return TileList(paths: tiles.map { prefix + $0 })
    }

    /// The file name of a tile path (what outputs, warnings and errors show).
    public static func fileName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }
}
