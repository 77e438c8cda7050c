/// What makes a file name a PNG tile's: the one rule for listing tiles and reading coordinates
/// from their names, so that `a.PNG` is never listed as a tile and then refused as unnamed.
public enum PNGFileName {
    /// Ends in ".png" in any mix of case, compared as ASCII bytes (no Unicode case tables needed,
    /// which Embedded Swift lacks).
    public static func matches(_ name: String) -> Bool {
        let tail = Array(name.utf8.suffix(4))
        return tail.count == 4 && tail[0] == UInt8(ascii: ".") && tail[1] | 0x20 == UInt8(ascii: "p")
            && tail[2] | 0x20 == UInt8(ascii: "n") && tail[3] | 0x20 == UInt8(ascii: "g")
    }
}
