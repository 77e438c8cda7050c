import TesseraCore
import TesseraModels

extension SlideEncoder.Config.File {
    /// Reads a slide encoder's `config.json` at `path` (format: fixtures/slide_encoder/config.json);
    /// every present key must have the right type.
    public init(path: String) throws {
        let file = try MappedFile.checked(path)
        let json = try JSONParser.parse(file.bytes, path: path)
        func bad(_ why: String) -> SlideEncoderError { .badConfig(path: path, reason: why) }
        guard case .object = json else { throw bad("not a JSON object") }
        func positive(_ value: JSONValue) -> Int? {
            guard let n = value.nonNegativeInt, n > 0 else { return nil }
            return n
        }
        func int(_ key: String) throws -> Int? {
            guard let value = json[key] else { return nil }
            guard let n = positive(value) else { throw bad("'\(key)' must be a positive integer") }
            return n
        }
        func ints(_ key: String) throws -> [Int]? {
            guard let value = json[key] else { return nil }
            guard case .array(let items) = value, !items.isEmpty, case let list = items.compactMap(positive),
                  list.count == items.count else { throw bad("'\(key)' must be a list of positive integers") }
            return list
        }
        self.init()
        inChans = try int("in_chans")
        embedDim = try int("embed_dim")
        depth = try int("depth")
        heads = try int("num_heads")
        gridSize = try int("slide_ngrids")
        tileSize = try int("tile_size").map(Double.init)
        switch (try ints("segment_length"), try ints("dilated_ratio")) {
        case (nil, nil): branches = nil
        case let (l?, r?) where l.count == r.count:
            branches = zip(l, r).map { DilatedAttention.Branch(segmentLength: $0, ratio: $1) }
        default:
            throw bad("'segment_length' and 'dilated_ratio' must both be given, with equal lengths")
        }
    }
}
