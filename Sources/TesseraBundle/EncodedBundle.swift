import TesseraCore

/// A bundle ready to be written: header, manifest, and every tensor's stored
/// bytes (views of the source where nothing had to change), in file order.
public struct EncodedBundle: @unchecked Sendable {
    /// The format version in the header: the lowest that holds the manifest.
    public let version: UInt32
    /// The manifest as written, offsets and checksums included.
    public let manifest: BundleManifest
    /// Header, manifest and the zero padding before the first tensor.
    let head: Tensor
    /// Each tensor's stored bytes, in the manifest's order (which is the file's).
    let sections: [Tensor]

    /// The manifest's encoded bytes, within `head` (its length is the header's, bytes 16..<24).
    var manifestBytes: UnsafeRawBufferPointer {
        let length = Int(head.bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian)
        return UnsafeRawBufferPointer(rebasing: head.bytes[BundleFormat.headerSize..<(BundleFormat.headerSize + length)])
    }

    /// Bytes of the whole file.
    public var byteCount: Int {
        manifest.tensors.last.map { $0.offset + $0.storedLength } ?? head.bytes.count
    }

    /// Hands the file's bytes to `sink`, in order, in pieces.
    public func write<E: Error>(_ sink: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        let zeros = Tensor(zeros: [BundleFormat.alignment], dtype: .u8)
        var position = head.bytes.count
        try sink(head.bytes)
        for (info, section) in zip(manifest.tensors, sections) {
            if info.offset > position { try sink(UnsafeRawBufferPointer(rebasing: zeros.bytes[0..<(info.offset - position)])) }
            try sink(section.bytes)
            position = info.offset + info.storedLength
        }
    }
}
