/// One zeroed allocation carved into float buffers, so a pass's memory is
/// planned (and counted) up front: the inference workspaces and the training
/// activations all take their buffers from one.
public final class Arena: @unchecked Sendable {
    private let memory: Tensor
    private var offset = 0

    public init(floats: Int) { memory = Tensor(zeros: [floats]) }

    /// An arena sized for buffers of `counts` floats, and those buffers, in order.
    public static func carve(_ counts: [Int]) -> (arena: Arena, buffers: [UnsafeMutablePointer<Float>]) {
        let arena = Arena(floats: size(counts))
        return (arena, arena.take(counts))
    }

    /// The next buffers of `counts` floats, in order (a layout listed once, for `size` and here).
    public func take(_ counts: [Int]) -> [UnsafeMutablePointer<Float>] { counts.map { take($0) } }

    /// The next `count` floats (64-byte aligned).
    public func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        precondition(offset + count <= memory.count, "arena overflow: planned \(memory.count) floats")
        defer { offset += (count + 15) / 16 * 16 }
        return memory.mutableFloatPointer + offset
    }

    /// Floats needed for buffers of these sizes (with the same alignment padding as `take`).
    public static func size(_ counts: [Int]) -> Int { counts.reduce(0) { $0 + ($1 + 15) / 16 * 16 } }

    /// Bytes held.
    public var byteCount: Int { memory.bytes.count }
}
