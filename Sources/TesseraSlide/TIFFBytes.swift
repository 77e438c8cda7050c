/// A TIFF file's bytes, read only through bounds checks: a read past the end is an error naming
/// the file, what was read and where, never a read outside the buffer.
struct TIFFBytes {
    let bytes: UnsafeRawBufferPointer
    let path: String
    let littleEndian: Bool
    /// BigTIFF (magic 43): 8-byte offsets and counts, 20-byte entries.
    let bigTIFF: Bool

    var size: Int { bytes.count }
    /// The width of an offset, of a BigTIFF entry count and of an entry's value field.
    var offsetWidth: Int { bigTIFF ? 8 : 4 }
    var entryWidth: Int { bigTIFF ? 20 : 12 }
    var countWidth: Int { bigTIFF ? 8 : 2 }

    /// The `width`-byte unsigned integer at `offset`, in the file's byte order.
    func unsigned(at offset: Int, width: Int, what: @autoclosure () -> String) throws(SlideError) -> UInt64 {
        guard offset >= 0, width <= size, offset <= size - width else {
            throw damaged("\(what()) at offset \(offset) lies past the end of the file (\(size) bytes)")
        }
        var value: UInt64 = 0
        for k in 0..<width {
            let byte = UInt64(bytes[offset + (littleEndian ? k : width - 1 - k)])
            value |= byte << UInt64(8 * k)
        }
        return value
    }

    /// An offset or count read from the file, as an Int (a value past Int.max is past any file).
    func offset(at position: Int, width: Int, what: @autoclosure () -> String) throws(SlideError) -> Int {
        let value = try unsigned(at: position, width: width, what: what())
        guard value <= UInt64(Int.max) else { throw damaged("\(what()) at offset \(position) is \(value), past the end of the file (\(size) bytes)") }
        return Int(value)
    }

    /// Whether `count` bytes from `offset` lie inside the file.
    func contains(_ offset: Int, _ count: Int) -> Bool {
        offset >= 0 && count >= 0 && count <= size && offset <= size - count
    }

    func damaged(_ detail: String) -> SlideError { SlideError(path: path, problem: .damagedTIFF(detail)) }
}
