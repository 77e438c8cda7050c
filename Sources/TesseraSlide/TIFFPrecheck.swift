import TesseraCore

/// A bounds-checked walk over a TIFF's structure, before OpenSlide (libtiff, libjpeg) sees the
/// file: C code that trusts the file's counts and offsets, and aborts the process on some of
/// them (a tile byte count of 4 GiB, a 65536-pixel tile: GLib's failed allocation). What it
/// accepts is specified in formats/tiff-precheck.md. Files that are not TIFFs (MIRAX, VMS) pass
/// untouched: OpenSlide decides about them.
public enum TIFFPrecheck {
    /// Past this many IFDs a chain is not a slide's (real ones hold a few to a few hundred).
    static let maxDirectories = 4096
    /// Tile sides past this are refused: OpenSlide allocates a whole tile's ARGB at once.
    public static let maxTileSide = 8192
    /// Samples per pixel past this are no slide's.
    static let maxSamples = 64

    /// Checks the file at `path`; throws for a file that is missing, not a regular file, empty,
    /// or a TIFF whose structure is damaged.
    public static func check(path: String) throws(SlideError) {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            switch error {
            case .notARegularFile: throw SlideError(path: path, problem: .notAFile)
            case .open(_, let code), .map(_, let code): throw SlideError(path: path, problem: .unreadable(errno: code))
            }
        }
        guard file.bytes.count > 0 else { throw SlideError(path: path, problem: .empty) }
        try check(file.bytes, path: path)
    }

    /// The same check on the file's bytes.
    public static func check(_ bytes: UnsafeRawBufferPointer, path: String) throws(SlideError) {
        guard bytes.count >= 8 else { return }
        let little: Bool
        switch (bytes[0], bytes[1]) {
        case (0x49, 0x49): little = true  // "II"
        case (0x4D, 0x4D): little = false  // "MM"
        default: return
        }
        var file = TIFFBytes(bytes: bytes, path: path, littleEndian: little, bigTIFF: false)
        let magic = try file.unsigned(at: 2, width: 2, what: "the TIFF version")
        guard magic == 42 || magic == 43 else { return }
        let first: Int
        if magic == 43 {
            file = TIFFBytes(bytes: bytes, path: path, littleEndian: little, bigTIFF: true)
            guard try file.unsigned(at: 4, width: 2, what: "BigTIFF's offset size") == 8 else {
                throw file.damaged("BigTIFF header with an offset size other than 8")
            }
            first = try file.offset(at: 8, width: 8, what: "the first IFD's offset")
        } else {
            first = try file.offset(at: 4, width: 4, what: "the first IFD's offset")
        }
        guard first != 0 else { throw file.damaged("no IFD (the first IFD's offset is 0)") }
        var seen: Set<Int> = []
        var offset = first
        while offset != 0 {
            guard seen.count < maxDirectories else { throw file.damaged("more than \(maxDirectories) IFDs") }
            guard seen.insert(offset).inserted else { throw file.damaged("IFD \(seen.count) at offset \(offset) is an earlier IFD again: the chain loops") }
            let directory = try TIFFDirectory(at: offset, index: seen.count - 1, in: file)
            try checkImage(directory, in: file)
            offset = directory.next
        }
    }
}
