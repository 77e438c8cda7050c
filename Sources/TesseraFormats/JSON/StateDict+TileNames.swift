import TesseraCore

extension StateDict {
    /// The `tile_names` an output records in its metadata (row order, as the slide-folder
    /// pipeline and the teacher cache write it), nil when absent or not a JSON list of strings.
    public var tileNames: [String]? {
        guard let text = metadata["tile_names"],
              case .array(let items)? = try? Array(text.utf8).withUnsafeBytes({ try JSONParser.parse($0, path: "tile_names") })
        else { return nil }
        let strings = items.compactMap { $0.string }
        return strings.count == items.count ? strings : nil
    }
}
