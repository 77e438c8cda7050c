/// Bounds-checked reads from untrusted bytes: every accessor returns nil
/// instead of reading past the end, and offsets are checked for overflow.
extension UnsafeRawBufferPointer {
    /// The little-endian integer at `offset`, or nil when it does not fit.
    func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T? {
        guard offset >= 0, offset <= count - MemoryLayout<T>.size, let base = baseAddress else { return nil }
        return T(littleEndian: (base + offset).loadUnaligned(as: T.self))
    }

    /// The bytes `offset ..< offset + length`, or nil when that range leaves the buffer.
    func range(at offset: Int, length: Int) -> Range<Int>? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        return offset..<(offset + length)
    }
}
