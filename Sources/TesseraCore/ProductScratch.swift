import CPosix

/// A thread's scratch memory for the bf16 products of `GEMM.bf16`: one 64-byte-aligned block,
/// grown to the largest request and kept for the thread's life, so that a training step's
/// thousands of products neither allocate nor fault in fresh pages each time. A product running
/// while its thread's scratch is lent (none does today: its parallel bodies call only C) gets a
/// block of its own.
final class ProductScratch {
    private var memory: UnsafeMutableRawPointer?
    private var capacity = 0
    private var lent = false

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { Unmanaged<ProductScratch>.fromOpaque($0!).release() }
        return key
    }()

    /// This thread's scratch.
    private static var current: ProductScratch {
        if let held = pthread_getspecific(key) { return Unmanaged<ProductScratch>.fromOpaque(held).takeUnretainedValue() }
        let scratch = ProductScratch()
        pthread_setspecific(key, Unmanaged.passRetained(scratch).toOpaque())
        return scratch
    }

    /// `body` with `bytes` bytes of this thread's scratch (64-byte aligned, contents undefined).
    static func lend<R>(_ bytes: Int, _ body: (UnsafeMutableRawPointer) -> R) -> R {
        let scratch = current
        guard !scratch.lent else {
            let own = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
            defer { own.deallocate() }
            return body(own)
        }
        if bytes > scratch.capacity {
            scratch.memory?.deallocate()
            scratch.memory = .allocate(byteCount: bytes, alignment: 64)
            scratch.capacity = bytes
        }
        scratch.lent = true
        defer { scratch.lent = false }
        return body(scratch.memory!)
    }

    deinit { memory?.deallocate() }
}
