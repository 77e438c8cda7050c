/// The bytes behind a tensor: either owned heap memory (64-byte aligned, zeroed)
/// or a slice of a memory-mapped file, which it keeps alive. The base address is
/// never nil, not even for zero bytes, so pointers of empty tensors need no special case.
public final class Storage: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let owner: Owner

    private enum Owner {
        case heap(UnsafeMutableRawPointer)
        case mapped(MappedFile)
    }

    /// Fresh zeroed memory of `byteCount` bytes.
    public init(byteCount: Int) {
        guarantee(byteCount >= 0, "storage of \(byteCount) bytes")
        let base = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: max(byteCount, 1))
        bytes = UnsafeRawBufferPointer(start: base, count: byteCount)
        owner = .heap(base)
    }

    /// A view of `range` inside a mapped file; the caller has checked the range (a range
    /// past the file's end stops the program).
    public init(file: MappedFile, range: Range<Int>) {
        guarantee(0 <= range.lowerBound && range.lowerBound <= range.upperBound && range.upperBound <= file.bytes.count,
                  "\(file.path): bytes \(range.lowerBound)..<\(range.upperBound) outside the \(file.bytes.count) mapped")
        bytes = UnsafeRawBufferPointer(start: file.bytes.baseAddress.map { $0 + range.lowerBound }, count: range.count)
        owner = .mapped(file)
    }

    deinit {
        if case .heap(let base) = owner { base.deallocate() }
    }

    public var isMapped: Bool {
        if case .mapped = owner { return true }
        return false
    }

    /// Writable bytes; only heap storage may be written.
    public var mutableBytes: UnsafeMutableRawBufferPointer {
        guard case .heap = owner else { guaranteeFailure("a memory-mapped tensor is read-only") }
        return UnsafeMutableRawBufferPointer(mutating: bytes)
    }
}
