/// A memory plan: one zeroed allocation carved into named float buffers, in the
/// manner of ggml's `no_alloc` contexts. A layout is written once, as an init that
/// takes its buffers from an arena by name (`h1 = arena.take(rows * d)`); running
/// that init over a *counting* arena measures the plan without allocating, and
/// running it over a real arena of that size carves it:
///
///     let floats = Arena.count { BlockActivations(config, batch: 8, arena: $0) }
///     let arena = Arena(floats: floats)            // counted, then allocated once
///     let saved = BlockActivations(config, batch: 8, arena: arena)
///
/// Inference workspaces and saved training activations all take their memory so.
public final class Arena: @unchecked Sendable {
    private let memory: Tensor?
    private let capacity: Int
    /// Floats handed out so far, alignment padding included.
    public private(set) var used = 0

    /// An arena of `floats` zeroed floats.
    public init(floats: Int) {
        memory = Tensor(zeros: [floats])
        capacity = floats
    }

    private init(counting: Void) {
        memory = nil
        capacity = .max
    }

    /// Floats the buffers taken by `layout` need (with `take`'s alignment padding),
    /// measured by running it over an arena that hands out placeholder addresses.
    public static func count<E: Error>(_ layout: (Arena) throws(E) -> Void) throws(E) -> Int {
        let counter = Arena(counting: ())
        try layout(counter)
        return counter.used
    }

    /// An arena sized by `layout`, and what `layout` built from it.
    public static func planned<T>(_ layout: (Arena) -> T) -> (arena: Arena, value: T) {
        let arena = Arena(floats: count { _ = layout($0) })
        return (arena, layout(arena))
    }

    /// The next `count` floats (64-byte aligned). On a counting arena the address is
    /// a placeholder that must not be dereferenced.
    public func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        guarantee(count >= 0 && used <= capacity - count,
                  "arena overflow: \(count) floats after \(used) of the \(capacity) planned")
        defer { used += (count + 15) / 16 * 16 }
        guard let memory else { return UnsafeMutablePointer(bitPattern: 64)! }
        return memory.mutableFloatPointer + used
    }

    /// Bytes held.
    public var byteCount: Int { (memory?.count ?? 0) * MemoryLayout<Float>.size }
}
