/// The checks of one IFD's image: bounded sizes, and every tile or strip inside the file.
extension TIFFPrecheck {
    static func checkImage(_ directory: TIFFDirectory, in file: TIFFBytes) throws(SlideError) {
        let ifd = "IFD \(directory.index)"
        guard let width = try directory.value(256, in: file), let height = try directory.value(257, in: file) else {
            throw file.damaged("\(ifd) has no ImageWidth or ImageLength")
        }
        guard (1...WholeSlide.maxSide).contains(width), (1...WholeSlide.maxSide).contains(height) else {
            throw file.damaged("\(ifd) claims \(width)x\(height) pixels (each side 1 to \(WholeSlide.maxSide))")
        }
        let samples = try directory.value(277, in: file) ?? 1
        guard (1...maxSamples).contains(samples) else { throw file.damaged("\(ifd) claims \(samples) samples per pixel") }
        let planes = try directory.value(284, in: file) == 2 ? samples : 1
        if let tileWidth = try directory.value(322, in: file) {
            guard let tileHeight = try directory.value(323, in: file) else { throw file.damaged("\(ifd) has TileWidth but no TileLength") }
            guard (1...maxTileSide).contains(tileWidth), (1...maxTileSide).contains(tileHeight) else {
                throw file.damaged("\(ifd) claims \(tileWidth)x\(tileHeight)-pixel tiles (each side 1 to \(maxTileSide))")
            }
            let across = (width + tileWidth - 1) / tileWidth, down = (height + tileHeight - 1) / tileHeight
            try checkSegments(directory, offsets: 324, counts: 325, expected: across * down * planes, in: file) { i in
                let k = i % (across * down)
                return "tile \(i) (column \(k % across), row \(k / across))"
            }
        } else {
            let rows = try min(directory.value(278, in: file) ?? height, height)
            guard rows >= 1 else { throw file.damaged("\(ifd) has RowsPerStrip 0") }
            try checkSegments(directory, offsets: 273, counts: 279, expected: (height + rows - 1) / rows * planes, in: file) { i in
                "strip \(i)"
            }
        }
    }

    /// The tiles' or strips' offsets and byte counts: both listed, at least `expected` of each
    /// (libtiff reads that many), every non-empty one inside the file.
    static func checkSegments(_ directory: TIFFDirectory, offsets: Int, counts: Int, expected: Int, in file: TIFFBytes,
                              name: (Int) -> String) throws(SlideError) {
        let ifd = "IFD \(directory.index)"
        guard let offsetEntry = directory.entries[offsets], let countEntry = directory.entries[counts] else {
            throw file.damaged("\(ifd) lacks its tile or strip offsets or byte counts (tags \(offsets), \(counts))")
        }
        guard offsetEntry.count >= expected, countEntry.count >= expected else {
            throw file.damaged("\(ifd) lists \(offsetEntry.count) offsets and \(countEntry.count) byte counts for \(expected) tiles or strips")
        }
        for i in 0..<expected {
            let start = try directory.value(offsets, i, in: file) ?? 0
            let bytes = try directory.value(counts, i, in: file) ?? 0
            guard bytes == 0 || file.contains(start, bytes) else {
                throw file.damaged("\(ifd) \(name(i)): \(bytes) bytes at offset \(start) run past the end of the file (\(file.size) bytes)")
            }
        }
    }
}
