/// One image file directory (IFD) of a TIFF, its entries checked to lie inside the file: the
/// values of every entry (inline or at their offset), with counts whose byte size cannot overflow.
struct TIFFDirectory {
    /// One entry: its field type, value count and where its values start in the file.
    struct Entry {
        let type: Int
        let count: Int
        let values: Int
    }

    /// Past this many entries an IFD is not an image's (real ones hold a few dozen).
    static let maxEntries = 4096

    /// The IFD's position in the chain, from 0 (the messages' "IFD n").
    let index: Int
    let entries: [Int: Entry]
    /// The next IFD's offset; 0 ends the chain.
    let next: Int

    init(at offset: Int, index: Int, in file: TIFFBytes) throws(SlideError) {
        self.index = index
        let count = try file.offset(at: offset, width: file.countWidth, what: "IFD \(index)")
        guard count <= Self.maxEntries else { throw file.damaged("IFD \(index) at offset \(offset) claims \(count) entries (at most \(Self.maxEntries))") }
        let first = offset + file.countWidth
        var entries: [Int: Entry] = [:]
        for k in 0..<count {
            let at = first + k * file.entryWidth
            let tag = Int(try file.unsigned(at: at, width: 2, what: "IFD \(index) entry \(k)"))
            let type = Int(try file.unsigned(at: at + 2, width: 2, what: "IFD \(index) entry \(k)"))
            let values = try file.offset(at: at + 4, width: file.offsetWidth, what: "IFD \(index) tag \(tag)")
            let field = at + 4 + file.offsetWidth
            // Unknown types are skipped, as libtiff skips them.
            guard let width = Self.width(ofType: type) else { continue }
            let (bytes, overflow) = values.multipliedReportingOverflow(by: width)
            guard !overflow else { throw file.damaged("IFD \(index) tag \(tag) claims \(values) values") }
            let start = try bytes <= file.offsetWidth ? field : file.offset(at: field, width: file.offsetWidth, what: "IFD \(index) tag \(tag)")
            guard file.contains(start, bytes) else {
                throw file.damaged("IFD \(index) tag \(tag): \(values) values (\(bytes) bytes) at offset \(start) run past the end of the file (\(file.size) bytes)")
            }
            entries[tag] = Entry(type: type, count: values, values: start)
        }
        self.entries = entries
        next = try file.offset(at: first + count * file.entryWidth, width: file.offsetWidth, what: "IFD \(index)'s next-IFD offset")
    }

    /// Bytes per value of a TIFF field type; nil for a type TIFF does not define.
    static func width(ofType type: Int) -> Int? {
        switch type {
        case 1, 2, 6, 7: return 1  // BYTE, ASCII, SBYTE, UNDEFINED
        case 3, 8: return 2  // SHORT, SSHORT
        case 4, 9, 11, 13: return 4  // LONG, SLONG, FLOAT, IFD
        case 5, 10, 12, 16, 17, 18: return 8  // RATIONAL, SRATIONAL, DOUBLE, LONG8, SLONG8, IFD8
        default: return nil
        }
    }

    /// Value `i` of an unsigned integer tag (SHORT, LONG or LONG8); nil when the IFD lacks it.
    func value(_ tag: Int, _ i: Int = 0, in file: TIFFBytes) throws(SlideError) -> Int? {
        guard let entry = entries[tag] else { return nil }
        guard entry.type == 3 || entry.type == 4 || entry.type == 16 else {
            throw file.damaged("IFD \(index) tag \(tag) has field type \(entry.type), not an unsigned integer")
        }
        guard i < entry.count else { throw file.damaged("IFD \(index) tag \(tag) has \(entry.count) values, no value \(i)") }
        let width = Self.width(ofType: entry.type) ?? 0
        return try file.offset(at: entry.values + i * width, width: width, what: "IFD \(index) tag \(tag)")
    }
}
