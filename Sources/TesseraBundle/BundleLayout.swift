/// The data area's rules (formats/bundle.md, "Layout"): in offset order, each
/// tensor starts at the first multiple of 64 at or after the end of what
/// precedes it, the padding is zero, and the file ends with the last tensor.
enum BundleLayout {
    /// Where the first tensor starts after a manifest of `manifestLength` bytes.
    static func dataStart(manifestLength: Int) -> Int {
        BundleFormat.aligned(BundleFormat.headerSize + manifestLength)
    }

    /// Checks the tensors' ranges in `file` (each already known to end within it).
    static func check(_ tensors: [BundleTensorInfo], manifestLength: Int, file: UnsafeRawBufferPointer,
                      path: String) throws(BundleError) {
        var end = BundleFormat.headerSize + manifestLength
        var previous = "the manifest"
        // By offset, then manifest order: the same tensor is named whatever the sort does with ties.
        let order = tensors.indices.sorted { (tensors[$0].offset, $0) < (tensors[$1].offset, $1) }
        for tensor in order.map({ tensors[$0] }) {
            func fail(_ problem: BundleError.Problem) -> BundleError {
                BundleError(path: path, tensor: tensor.name, offset: tensor.offset, problem: problem)
            }
            guard tensor.offset % BundleFormat.alignment == 0 else { throw fail(.misaligned) }
            guard tensor.offset >= end else { throw fail(.overlaps(previous: previous)) }
            guard tensor.offset == BundleFormat.aligned(end) else { throw fail(.gap(start: end, end: tensor.offset)) }
            if let nonZero = file[end..<tensor.offset].firstIndex(where: { $0 != 0 }) {
                throw BundleError(path: path, tensor: tensor.name, offset: nonZero, problem: .paddingNotZero)
            }
            end = tensor.offset + tensor.storedLength
            previous = "tensor '\(tensor.name)'"
        }
        guard end == file.count else {
            throw BundleError(path: path, offset: end, problem: .trailingBytes(start: end, end: file.count))
        }
    }
}
