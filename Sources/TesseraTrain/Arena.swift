import TesseraCore

/// One zeroed allocation carved into named float buffers, so a pass's memory is
/// planned (and counted) up front.
final class Arena: @unchecked Sendable {
    private let memory: Tensor
    private var offset = 0

    init(floats: Int) { memory = Tensor(zeros: [floats]) }

    /// The next `count` floats (64-byte aligned).
    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let base = memory.mutableFloatPointer
        precondition(offset + count <= memory.count, "arena overflow: planned \(memory.count) floats")
        defer { offset += (count + 15) / 16 * 16 }
        return base + offset
    }

    /// Floats needed for buffers of these sizes (with the same alignment padding as `take`).
    static func size(_ counts: [Int]) -> Int { counts.reduce(0) { $0 + ($1 + 15) / 16 * 16 } }

    var byteCount: Int { memory.bytes.count }
}
