import Foundation
import TesseraCore

/// The hyper-parameters of a LongNetViT slide encoder. Widths and depth come
/// from the tensor shapes; the rest from `config.json` when there is one, else
/// the real model's values (`gigapath_slide_enc12l768d`).
public struct SlideEncoderConfig: Sendable, Equatable {
    public var inChans: Int
    public var embedDim: Int
    public var depth: Int
    public var ffnDim: Int
    public var heads: Int
    /// The (segment length, dilation ratio) branches of every layer's attention.
    public var branches: [DilatedAttention.Branch]
    /// Positions live on a gridSize x gridSize grid of tiles.
    public var gridSize: Int
    /// Level-0 pixels per grid cell.
    public var tileSize: Double

    public static let defaultHeads = 16
    public static let defaultBranches: [DilatedAttention.Branch] = zip(
        [1024, 5792, 32768, 185363, 1_048_576], [1, 2, 4, 8, 16]
    ).map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) }
    public static let defaultGridSize = 1000
    public static let defaultTileSize = 256.0

    /// What a `config.json` may set (format: fixtures/slide_encoder/config.json).
    public struct File: Sendable, Equatable {
        public var inChans: Int?
        public var embedDim: Int?
        public var depth: Int?
        public var heads: Int?
        public var branches: [DilatedAttention.Branch]?
        public var gridSize: Int?
        public var tileSize: Double?

        public init() {}

        /// Reads `path`; every present key must have the right type.
        public init(path: String) throws {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw SlideEncoderError.badConfig(path: path, reason: "cannot read: \(error.localizedDescription)")
            }
            guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw SlideEncoderError.badConfig(path: path, reason: "not a JSON object")
            }
            func int(_ key: String) throws -> Int? {
                guard let value = json[key] else { return nil }
                guard let n = value as? NSNumber, let i = Int(exactly: n.doubleValue), i > 0 else {
                    throw SlideEncoderError.badConfig(path: path, reason: "'\(key)' must be a positive integer")
                }
                return i
            }
            func ints(_ key: String) throws -> [Int]? {
                guard let value = json[key] else { return nil }
                guard let list = value as? [NSNumber], !list.isEmpty,
                      case let ints = list.compactMap({ Int(exactly: $0.doubleValue) }),
                      ints.count == list.count, ints.allSatisfy({ $0 > 0 })
                else { throw SlideEncoderError.badConfig(path: path, reason: "'\(key)' must be a list of positive integers") }
                return ints
            }
            inChans = try int("in_chans")
            embedDim = try int("embed_dim")
            depth = try int("depth")
            heads = try int("num_heads")
            gridSize = try int("slide_ngrids")
            tileSize = try int("tile_size").map(Double.init)
            let lengths = try ints("segment_length"), ratios = try ints("dilated_ratio")
            switch (lengths, ratios) {
            case (nil, nil): branches = nil
            case let (l?, r?) where l.count == r.count:
                branches = zip(l, r).map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) }
            default:
                throw SlideEncoderError.badConfig(path: path, reason: "'segment_length' and 'dilated_ratio' must both be given, with equal lengths")
            }
        }
    }
}
