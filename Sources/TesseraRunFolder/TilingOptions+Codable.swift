import TesseraSlide

/// `TilingOptions` in `run.json` (formats/run-folder.md, `tiling`): written here rather than
/// beside the type, since TesseraSlide is written for Embedded Swift, which has no Codable.
/// `mode` is "exact" or "prov-gigapath" (the names of `tessera tile --compat`); a nil
/// `foregroundThreshold` (Otsu) is left out.
extension TilingOptions: Codable {
    private enum Key: String, CodingKey { case mode, level, tileSize, foregroundThreshold, occupancyThreshold }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let mode: Mode
        switch try c.decode(String.self, forKey: .mode) {
        case "exact": mode = .exact
        case "prov-gigapath": mode = .provGigapath
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .mode, in: c, debugDescription: "tiling mode '\(other)': expected exact or prov-gigapath")
        }
        self.init(mode: mode, level: try c.decode(Int.self, forKey: .level), tileSize: try c.decode(Int.self, forKey: .tileSize),
                  foregroundThreshold: try c.decodeIfPresent(Double.self, forKey: .foregroundThreshold),
                  occupancyThreshold: try c.decode(Double.self, forKey: .occupancyThreshold))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(mode == .exact ? "exact" : "prov-gigapath", forKey: .mode)
        try c.encode(level, forKey: .level)
        try c.encode(tileSize, forKey: .tileSize)
        try c.encodeIfPresent(foregroundThreshold, forKey: .foregroundThreshold)
        try c.encode(occupancyThreshold, forKey: .occupancyThreshold)
    }
}
