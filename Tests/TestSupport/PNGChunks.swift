/// PNG chunks with their CRC-32s recomputed: a mutated PNG then reaches the decoder's
/// checks behind the checksums instead of stopping at the first CRC. Shared by the PNG
/// mutation test and the PNG fuzz harness (scripts/fuzz compiles this file into it).
public enum PNGChunks {
    /// `bytes` with the CRC of every complete chunk after the 8-byte signature rewritten.
    public static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        var at = 8
        while at + 12 <= out.count {
            let length = out[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            let crcAt = at + 8 + length
            guard crcAt + 4 <= out.count else { break }
            let crc = ~out[(at + 4)..<crcAt].reduce(UInt32.max) { crc, byte in
                table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
            for i in 0..<4 { out[crcAt + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
            at = crcAt + 4
        }
        return out
    }

    /// The CRC-32 table of PNG (and zlib): polynomial 0xEDB88320, reflected.
    private static let table: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }
}
