import TesseraCore

/// Tile coordinates from tile names, for the slide encoder's grid.
extension SlideGrid {
    /// Level-0 pixel coordinates from a tile file named `{x}x_{y}y.png` (prov-gigapath's
    /// naming; the file name, without its folder; `.PNG` in any case, as tiles are listed), nil
    /// for any other name. A number may be
    /// negative (`-0017y`, as `tessera tile` and upstream write a tile whose grid cell starts
    /// above or left of the slide): the slide encoder then refuses it by name, off its grid.
    public static func coordinates(ofTileNamed name: String) -> (x: Int, y: Int)? {
        guard PNGFileName.matches(name) else { return nil }
        let parts = name.dropLast(4).split(separator: "_", omittingEmptySubsequences: false)
        func number(_ part: Substring, unit: Character) -> Int? {
            guard part.last == unit else { return nil }
            let signed = part.dropLast()
            let digits = signed.first == "-" ? signed.dropFirst() : signed
            guard !digits.isEmpty, digits.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
            return Int(signed)
        }
        guard parts.count == 2, let x = number(parts[0], unit: "x"), let y = number(parts[1], unit: "y") else { return nil }
        return (x, y)
    }
}
