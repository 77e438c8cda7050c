/// The entries of a zip archive held in memory (a mapped file), read without
/// copying: only stored (uncompressed) entries, as `torch.save` writes them.
/// Handles ZIP64 (end-of-central-directory record and locator, zip64 extra
/// fields in central and local headers). Every offset and size is checked
/// against the buffer, with overflow checks, before anything is read.
struct ZipArchive {
    struct Error: Swift.Error, CustomStringConvertible {
        let offset: Int
        let message: String
        var description: String { "zip byte \(offset): \(message)" }
    }

    /// Entry names in central-directory order.
    let names: [String]
    /// Byte range of each entry's data inside the buffer.
    let dataRanges: [String: Range<Int>]

    private static let endOfCentralDirectory: UInt32 = 0x0605_4B50
    private static let zip64Locator: UInt32 = 0x0706_4B50
    private static let zip64EndOfCentralDirectory: UInt32 = 0x0606_4B50
    private static let centralHeader: UInt32 = 0x0201_4B50
    private static let localHeader: UInt32 = 0x0403_4B50

    init(bytes: UnsafeRawBufferPointer) throws {
        let (directory, entryCount) = try Self.centralDirectory(bytes)
        var names: [String] = [], ranges: [String: Range<Int>] = [:]
        var position = directory.lowerBound
        for _ in 0..<entryCount {
            let (name, range, next) = try Self.entry(bytes, at: position, directoryEnd: directory.upperBound)
            guard ranges.updateValue(range, forKey: name) == nil else {
                throw Error(offset: position, message: "duplicate entry '\(MessageText.excerpt(name))'")
            }
            names.append(name)
            position = next
        }
        self.names = names
        self.dataRanges = ranges
    }

    /// The central directory's byte range and entry count, from the
    /// end-of-central-directory record (and its ZIP64 form when present).
    private static func centralDirectory(_ bytes: UnsafeRawBufferPointer) throws -> (Range<Int>, Int) {
        guard bytes.count >= 22 else { throw Error(offset: 0, message: "file of \(bytes.count) bytes is too short for a zip archive") }
        // The record is 22 bytes plus a comment of at most 65,535 bytes, at the end.
        var end = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while bytes.littleEndian(UInt32.self, at: end) != endOfCentralDirectory {
            guard end > lowest else { throw Error(offset: bytes.count, message: "no end-of-central-directory record (truncated zip?)") }
            end -= 1
        }
        guard bytes.littleEndian(UInt16.self, at: end + 4) == 0, bytes.littleEndian(UInt16.self, at: end + 6) == 0 else {
            throw Error(offset: end, message: "multi-disk zip archives are not supported")
        }
        var count = Int(bytes.littleEndian(UInt16.self, at: end + 10)!)
        var size = Int(bytes.littleEndian(UInt32.self, at: end + 12)!)
        var offset = Int(bytes.littleEndian(UInt32.self, at: end + 16)!)
        var limit = end  // the directory lies before the records that describe it
        if end >= 20, bytes.littleEndian(UInt32.self, at: end - 20) == zip64Locator {
            let recordOffset64 = bytes.littleEndian(UInt64.self, at: end - 12)!
            guard let record = Int(exactly: recordOffset64), record <= end - 20 - 56,
                  bytes.littleEndian(UInt32.self, at: record) == zip64EndOfCentralDirectory else {
                throw Error(offset: end - 20, message: "ZIP64 locator points to \(recordOffset64), where no ZIP64 end-of-central-directory record lies")
            }
            guard let count64 = Int(exactly: bytes.littleEndian(UInt64.self, at: record + 32)!),
                  let size64 = Int(exactly: bytes.littleEndian(UInt64.self, at: record + 40)!),
                  let offset64 = Int(exactly: bytes.littleEndian(UInt64.self, at: record + 48)!) else {
                throw Error(offset: record, message: "ZIP64 end-of-central-directory sizes are out of range")
            }
            (count, size, offset, limit) = (count64, size64, offset64, record)
        } else if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            throw Error(offset: end, message: "ZIP64 sizes announced but no ZIP64 locator")
        }
        guard let directoryEnd = Checked.add(offset, size), directoryEnd <= limit else {
            throw Error(offset: end, message: "central directory at \(offset) of \(size) bytes lies outside the \(limit) bytes before its end record")
        }
        guard count <= size / 46 else {
            throw Error(offset: end, message: "\(count) entries cannot fit in a central directory of \(size) bytes")
        }
        return (offset..<directoryEnd, count)
    }

    /// One central-directory entry at `position`: its name, its data range
    /// (checked against its local header) and where the next entry starts.
    private static func entry(_ bytes: UnsafeRawBufferPointer, at position: Int, directoryEnd: Int)
        throws -> (String, Range<Int>, Int) {
        guard position <= directoryEnd - 46, bytes.littleEndian(UInt32.self, at: position) == centralHeader else {
            throw Error(offset: position, message: "expected a central-directory entry")
        }
        let flags = bytes.littleEndian(UInt16.self, at: position + 8)!
        let method = bytes.littleEndian(UInt16.self, at: position + 10)!
        var compressed = UInt64(bytes.littleEndian(UInt32.self, at: position + 20)!)
        var size = UInt64(bytes.littleEndian(UInt32.self, at: position + 24)!)
        let nameLength = Int(bytes.littleEndian(UInt16.self, at: position + 28)!)
        let extraLength = Int(bytes.littleEndian(UInt16.self, at: position + 30)!)
        let commentLength = Int(bytes.littleEndian(UInt16.self, at: position + 32)!)
        var local = UInt64(bytes.littleEndian(UInt32.self, at: position + 42)!)
        let next = position + 46 + nameLength + extraLength + commentLength
        guard next <= directoryEnd else { throw Error(offset: position, message: "central-directory entry runs past the directory") }
        let nameBytes = bytes[(position + 46)..<(position + 46 + nameLength)]
        let name = String(decoding: nameBytes, as: UTF8.self)
        let extra = (position + 46 + nameLength)..<(position + 46 + nameLength + extraLength)
        let wide = try zip64Fields(bytes, extra, [size, compressed, local], at: position)
        (size, compressed, local) = (wide[0], wide[1], wide[2])

        guard flags & 1 == 0 else { throw Error(offset: position, message: "entry '\(MessageText.excerpt(name))' is encrypted") }
        guard method == 0 else {
            throw Error(offset: position, message: "entry '\(MessageText.excerpt(name))' is compressed (method \(method)); torch checkpoints store entries uncompressed")
        }
        guard compressed == size else {
            throw Error(offset: position, message: "stored entry '\(MessageText.excerpt(name))' has compressed size \(compressed) but size \(size)")
        }
        guard let localOffset = Int(exactly: local), let length = Int(exactly: size) else {
            throw Error(offset: position, message: "entry '\(MessageText.excerpt(name))' offset \(local) or size \(size) out of range")
        }
        let data = try localData(bytes, at: localOffset, name: nameBytes, length: length)
        return (name, data, next)
    }

    /// `fields` (size, compressed size, local offset: the zip64 order) with
    /// each 0xFFFFFFFF replaced by the next 64-bit value of the zip64 extra field (id 1) in `extra`.
    private static func zip64Fields(_ bytes: UnsafeRawBufferPointer, _ extra: Range<Int>,
                                    _ fields: [UInt64], at position: Int) throws -> [UInt64] {
        let wanted = fields.indices.filter { fields[$0] == 0xFFFF_FFFF }
        guard !wanted.isEmpty else { return fields }
        var p = extra.lowerBound
        while p + 4 <= extra.upperBound {
            let id = bytes.littleEndian(UInt16.self, at: p)!, size = Int(bytes.littleEndian(UInt16.self, at: p + 2)!)
            guard p + 4 + size <= extra.upperBound else { break }
            if id == 1 {
                guard size >= 8 * wanted.count else {
                    throw Error(offset: p, message: "zip64 extra field of \(size) bytes lacks \(wanted.count) sizes")
                }
                var wide = fields
                for (i, field) in wanted.enumerated() { wide[field] = bytes.littleEndian(UInt64.self, at: p + 4 + 8 * i)! }
                return wide
            }
            p += 4 + size
        }
        throw Error(offset: position, message: "sizes of 0xFFFFFFFF without a zip64 extra field")
    }

    /// The data range of the entry whose local header is at `offset`, after
    /// checking that the header agrees with the central directory.
    private static func localData(_ bytes: UnsafeRawBufferPointer, at offset: Int, name: Slice<UnsafeRawBufferPointer>,
                                  length: Int) throws -> Range<Int> {
        guard bytes.range(at: offset, length: 30) != nil, bytes.littleEndian(UInt32.self, at: offset) == localHeader else {
            throw Error(offset: offset, message: "no local header for '\(MessageText.excerpt(String(decoding: name, as: UTF8.self)))' at \(offset)")
        }
        let flags = bytes.littleEndian(UInt16.self, at: offset + 6)!
        let method = bytes.littleEndian(UInt16.self, at: offset + 8)!
        var compressed = UInt64(bytes.littleEndian(UInt32.self, at: offset + 18)!)
        var size = UInt64(bytes.littleEndian(UInt32.self, at: offset + 22)!)
        let nameLength = Int(bytes.littleEndian(UInt16.self, at: offset + 26)!)
        let extraLength = Int(bytes.littleEndian(UInt16.self, at: offset + 28)!)
        guard let nameRange = bytes.range(at: offset + 30, length: nameLength),
              let extra = bytes.range(at: nameRange.upperBound, length: extraLength),
              bytes[nameRange].elementsEqual(name) else {
            throw Error(offset: offset, message: "local header name differs from the central directory's")
        }
        guard method == 0 else { throw Error(offset: offset, message: "local header says compressed (method \(method))") }
        let wide = try zip64Fields(bytes, extra, [size, compressed], at: offset)
        (size, compressed) = (wide[0], wide[1])
        // With a data descriptor (flag 3) the local sizes may be left zero.
        let deferred = flags & 8 != 0 && size == 0 && compressed == 0
        guard deferred || (size == UInt64(length) && compressed == UInt64(length)) else {
            throw Error(offset: offset, message: "local header sizes \(compressed)/\(size) differ from the central directory's \(length)")
        }
        guard let data = bytes.range(at: extra.upperBound, length: length) else {
            throw Error(offset: offset, message: "entry data of \(length) bytes at \(extra.upperBound) runs past the end of the file (\(bytes.count) bytes)")
        }
        return data
    }
}
