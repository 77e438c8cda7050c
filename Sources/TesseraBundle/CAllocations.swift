/// Memory handed to C structures (protobuf-c messages being built), freed
/// together when this object goes away.
final class CAllocations {
    private var blocks: [UnsafeMutableRawPointer] = []

    deinit { for block in blocks { block.deallocate() } }

    /// A copy of `values` in C memory (nil when empty, as protobuf-c expects for no elements).
    func array<T>(_ values: [T]) -> UnsafeMutablePointer<T>? {
        guard !values.isEmpty else { return nil }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<T>.stride * values.count,
                                                   alignment: MemoryLayout<T>.alignment)
        blocks.append(raw)
        let typed = raw.bindMemory(to: T.self, capacity: values.count)
        typed.initialize(from: values, count: values.count)
        return typed
    }

    /// One value in C memory.
    func value<T>(_ value: T) -> UnsafeMutablePointer<T> { array([value])! }

    /// A NUL-terminated copy of `text`.
    func string(_ text: String) -> UnsafeMutablePointer<CChar> {
        array(text.utf8.map { CChar(bitPattern: $0) } + [0])!
    }
}
