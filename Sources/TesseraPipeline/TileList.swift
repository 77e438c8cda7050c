import CPosix
import TesseraCore
import TesseraImage
import TesseraIO
import TesseraModels

/// The tiles of one run as PNG files, in order: a slide folder's PNGs sorted by file name,
/// or PNG paths in the order given. Positions come from `{x}x_{y}y.png` names.
public final class TileList: TileSource, Sendable {
    public let paths: [String]
    public let decoder: PNGDecoder

    public struct Error: Swift.Error, CustomStringConvertible {
        public let path: String
        public let problem: String
        public var description: String { "\(path): \(problem)" }
    }

    public init(paths: [String], decoder: PNGDecoder = PNGDecoder()) {
        self.paths = paths
        self.decoder = decoder
    }

    public var count: Int { paths.count }
    public var yieldsCrops: Bool { false }
    public func name(of tile: Int) -> String { Self.fileName(paths[tile]) }
    public func location(of tile: Int) -> String { paths[tile] }
    public func position(of tile: Int) -> (x: Int, y: Int)? { SlideGrid.coordinates(ofTileNamed: name(of: tile)) }
    public func image(of tile: Int) throws(ImageDecodingError) -> RGBImage { try decoder.decode(path: paths[tile]) }

    /// One folder argument lists its `*.png` files (hidden files excluded, and the thumbnail
    /// of a folder `tessera tile` wrote) in byte-wise name order; otherwise every argument is a tile.
    public static func resolve(_ arguments: [String]) throws(Error) -> TileList {
        guard arguments.count == 1, isFolder(arguments[0]) else { return TileList(paths: arguments) }
        let folder = arguments[0]
        let names: [String]
        do {
            names = try FolderListing.names(in: folder)
        } catch {
            throw Error(path: folder, problem: "cannot list the folder (\(error.problem.explanation))")
        }
        // A folder `tessera tile` wrote (it holds a dataset.csv) also holds its picture of the
        // slide, thumbnail.png: not a tile.
        let tiled = names.contains("dataset.csv")
        let tiles = names.filter { !$0.hasPrefix(".") && PNGFileName.matches($0) && !(tiled && $0 == "thumbnail.png") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !tiles.isEmpty else { throw Error(path: folder, problem: "no .png tiles in the folder") }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return TileList(paths: tiles.map { prefix + $0 })
    }

    /// The file name of a tile path (what outputs, warnings and errors show).
    public static func fileName(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }

    /// A folder, or a link to one.
    public static func isFolder(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & mode_t(S_IFMT) == mode_t(S_IFDIR)
    }
}
