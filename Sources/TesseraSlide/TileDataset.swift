/// The tiling output of one slide, as prov-gigapath's `process_slide` lays it out:
/// `<output>/<slide file name>/` holding the tiles' PNGs and `dataset.csv` (columns
/// `slide_id,tile_id,image,label,tile_x,tile_y,occupancy`, one row per tile in the grid's
/// row order, fields as Python's `str` prints them).
public enum TileDataset {
    public static let csvName = "dataset.csv"
    public static let header = "slide_id,tile_id,image,label,tile_x,tile_y,occupancy"

    /// The slide's id: its file name.
    public static func slideID(ofSlideAt path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    }

    /// `dataset.csv`'s text for `tiling`'s tiles of the slide `slideID`.
    public static func csv(slideID: String, tiling: SlideTiling) -> String {
        var text = header + "\n"
        for tile in tiling.tiles {
            let name = tile.name
            let stem = String(name.dropLast(4))
            text += "\(slideID),\(slideID).\(stem),\(slideID)/\(name),None,\(tile.nameX),\(tile.nameY),"
            text += occupancyText(tile.occupancy, mode: tiling.options.mode) + "\n"
        }
        return text
    }

    /// The occupancy as upstream's `str` prints it: the shortest digits that read back as the same
    /// float16 (numpy's float16 scalar) or float64, "inf" for an overflowed float16 sum.
    static func occupancyText(_ value: Double, mode: TilingOptions.Mode) -> String {
        switch mode {
        case .provGigapath: return Float16(value).description
        case .exact: return value.description
        }
    }
}
