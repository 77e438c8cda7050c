import COpenSlide

/// Which files in a folder of slides are whole-slide files: a README or a labels CSV beside the
/// slides is not one, a damaged `.svs` (which OpenSlide no longer recognises) still is, so that
/// it is reported rather than silently left out.
public enum WholeSlideFileName {
    /// The extensions of the formats OpenSlide reads, in lower case.
    public static let extensions = ["svs", "tif", "tiff", "ndpi", "vms", "vmu", "scn", "mrxs", "svslide", "bif", "dcm"]

    /// A file with one of `extensions` in any case, or one OpenSlide recognises whatever its name.
    public static func matches(_ path: String) -> Bool {
        let bytes = Array(path.utf8)
        if let dot = bytes.lastIndex(of: UInt8(ascii: ".")), !bytes[dot...].contains(UInt8(ascii: "/")) {
            // ASCII lower case by bytes: Embedded Swift has no Unicode case tables.
            let tail = bytes[(dot + 1)...].map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
            if extensions.contains(where: { Array($0.utf8) == tail }) { return true }
        }
        return openslide_detect_vendor(path) != nil
    }
}
