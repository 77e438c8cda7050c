/// The bytes behind a tensor: either owned heap memory (64-byte aligned, zeroed)
/// or a slice of a memory-mapped file, which it keeps alive.
public final class Storage: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let owner: Owner

    private enum Owner {
        case heap(UnsafeMutableRawPointer)
        case mapped(MappedFile)
        case empty
    }

    /// Fresh zeroed memory of `byteCount` bytes.
    public init(byteCount: Int) {
        precondition(byteCount >= 0)
        if byteCount == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            owner = .empty
            return
        }
        let base = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
        base.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
        bytes = UnsafeRawBufferPointer(start: base, count: byteCount)
        owner = .heap(base)
    }

    /// A view of `range` inside a mapped file; the caller has checked the range.
    public init(file: MappedFile, range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= file.bytes.count)
        bytes = range.isEmpty
            ? UnsafeRawBufferPointer(start: nil, count: 0)
            : UnsafeRawBufferPointer(rebasing: file.bytes[range])
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
        guard case .heap = owner else {
            if case .empty = owner { return UnsafeMutableRawBufferPointer(start: nil, count: 0) }
            preconditionFailure("a memory-mapped tensor is read-only")
        }
        return UnsafeMutableRawBufferPointer(mutating: bytes)
    }
}
