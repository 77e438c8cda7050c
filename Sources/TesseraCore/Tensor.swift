/// A dense, row-major (contiguous) n-dimensional array of one `DType`.
///
/// The bytes live in a `Storage`: owned heap memory, or a zero-copy view into a
/// memory-mapped checkpoint. Views are read-only; `converted(to:)` and
/// `float32()` make owned copies only when the bytes cannot be used as they are.
public struct Tensor: @unchecked Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let storage: Storage

    /// Wraps `storage`, which must hold exactly `shape.product * dtype.size` bytes.
    public init(dtype: DType, shape: [Int], storage: Storage) {
        guarantee(storage.bytes.count == Tensor.byteCount(shape, dtype: dtype),
                  "storage of \(storage.bytes.count) bytes does not fit \(dtype) \(Tensor.describe(shape))")
        self.dtype = dtype
        self.shape = shape
        self.storage = storage
    }

    /// A zero-filled tensor with owned storage.
    public init(zeros shape: [Int], dtype: DType = .f32) {
        self.init(dtype: dtype, shape: shape, storage: Storage(byteCount: Tensor.byteCount(shape, dtype: dtype)))
    }

    /// An owned f32 tensor holding `values` (count must match the shape).
    public init(shape: [Int], floats values: [Float]) {
        guarantee(values.count == Tensor.elementCount(shape), "\(values.count) values for shape \(Tensor.describe(shape))")
        self.init(zeros: shape)
        values.withUnsafeBytes { storage.mutableBytes.copyMemory(from: $0) }
    }

    /// The product of the dimensions; a negative dimension, or a product past Int.max
    /// (which -Ounchecked would let wrap round to a small count), stops the program.
    public static func elementCount(_ shape: [Int]) -> Int {
        var product = 1
        for dimension in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guarantee(dimension >= 0 && !overflow,
                      "the shape \(describe(shape)): a negative dimension, or more elements than Int can count")
            product = next
        }
        return product
    }

    /// The bytes of `shape` in `dtype` (`elementCount`'s guards, and the same for the bytes).
    public static func byteCount(_ shape: [Int], dtype: DType) -> Int {
        let (bytes, overflow) = elementCount(shape).multipliedReportingOverflow(by: dtype.size)
        guarantee(!overflow, "\(dtype) \(describe(shape)) has more bytes than Int can count")
        return bytes
    }

    /// "[3, 224, 224]": a shape for messages, spelled out because Embedded Swift
    /// cannot print arrays by reflection.
    public static func describe(_ shape: [Int]) -> String {
        "[" + shape.map { String($0) }.joined(separator: ", ") + "]"
    }

    public var count: Int { Tensor.elementCount(shape) }
    public var bytes: UnsafeRawBufferPointer { storage.bytes }
    public var rank: Int { shape.count }

    /// The same bytes under another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        guarantee(Tensor.elementCount(newShape) == count, "cannot reshape \(Tensor.describe(shape)) to \(Tensor.describe(newShape))")
        return Tensor(dtype: dtype, shape: newShape, storage: storage)
    }

    // MARK: - Element access

    /// Element `i` widened to Double (exact for every dtype but i64 beyond 2^53).
    @inline(__always)
    public func scalar(at i: Int) -> Double {
        let p = bytes.baseAddress! + i * dtype.size
        switch dtype {
        case .f64: return p.loadUnaligned(as: Double.self)
        case .f32: return Double(p.loadUnaligned(as: Float.self))
        case .f16: return Double(HalfPrecision.float(fromF16: p.loadUnaligned(as: UInt16.self)))
        case .bf16: return Double(HalfPrecision.float(fromBF16: p.loadUnaligned(as: UInt16.self)))
        case .i64: return Double(p.loadUnaligned(as: Int64.self))
        case .i32: return Double(p.loadUnaligned(as: Int32.self))
        case .i16: return Double(p.loadUnaligned(as: Int16.self))
        case .i8: return Double(p.load(as: Int8.self))
        case .u8: return Double(p.load(as: UInt8.self))
        case .bool: return p.load(as: UInt8.self) != 0 ? 1 : 0
        }
    }

    /// Every element as Float, in order (a copy).
    public func floats() -> [Float] { withFloats { Array($0) } }

    /// This tensor as f32: itself when already f32 and 4-byte aligned (a view
    /// into a mapped file stays a view), otherwise a converted owned copy.
    public func float32() -> Tensor {
        if dtype == .f32, Int(bitPattern: bytes.baseAddress) % MemoryLayout<Float>.alignment == 0 {
            return self
        }
        return converted(to: .f32)
    }

    /// Read-only f32 elements; `float32()` first when the dtype may differ.
    public func withFloats<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        let f = float32()
        return try body(UnsafeBufferPointer(start: f.bytes.baseAddress?.assumingMemoryBound(to: Float.self),
                                            count: f.count))
    }

    /// Writable f32 elements of an owned f32 tensor.
    public func withMutableFloats<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        guarantee(dtype == .f32, "withMutableFloats on a \(dtype) tensor")
        let raw = storage.mutableBytes
        return try body(UnsafeMutableBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: Float.self),
                                                   count: count))
    }

    /// The first element of an f32 tensor (a valid address even when empty), for kernels over raw buffers
    /// (valid while the tensor, which keeps its storage alive, is).
    public var floatPointer: UnsafePointer<Float> {
        UnsafePointer(bytes.baseAddress!.assumingMemoryBound(to: Float.self))
    }

    /// The first element of an owned f32 tensor, writable (a valid address even when empty).
    public var mutableFloatPointer: UnsafeMutablePointer<Float> {
        storage.mutableBytes.baseAddress!.assumingMemoryBound(to: Float.self)
    }

    // MARK: - Conversion

    /// An owned copy in `target` dtype. Float targets round to nearest even;
    /// integer targets truncate toward zero (as `torch.Tensor.to` does).
    public func converted(to target: DType) -> Tensor {
        let out = Tensor(zeros: shape, dtype: target)
        if target == dtype {
            out.storage.mutableBytes.copyMemory(from: bytes)
            return out
        }
        guard let dst = out.storage.mutableBytes.baseAddress else { return out }  // no elements
        let n = count
        switch target {
        case .f32:
            let o = dst.assumingMemoryBound(to: Float.self)
            switch dtype {
            case .f16:
                for i in 0..<n { o[i] = HalfPrecision.float(fromF16: (bytes.baseAddress! + 2 * i).loadUnaligned(as: UInt16.self)) }
            case .bf16:
                for i in 0..<n { o[i] = HalfPrecision.float(fromBF16: (bytes.baseAddress! + 2 * i).loadUnaligned(as: UInt16.self)) }
            default:
                for i in 0..<n { o[i] = Float(scalar(at: i)) }
            }
        case .f16:
            let o = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { o[i] = HalfPrecision.f16(from: Float(scalar(at: i))) }
        case .bf16:
            let o = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { o[i] = HalfPrecision.bf16(from: Float(scalar(at: i))) }
        case .f64:
            let o = dst.assumingMemoryBound(to: Double.self)
            for i in 0..<n { o[i] = scalar(at: i) }
        case .i64: truncate(into: dst, as: Int64.self)
        case .i32: truncate(into: dst, as: Int32.self)
        case .i16: truncate(into: dst, as: Int16.self)
        case .i8: truncate(into: dst, as: Int8.self)
        case .u8: truncate(into: dst, as: UInt8.self)
        case .bool:
            let o = dst.assumingMemoryBound(to: UInt8.self)
            for i in 0..<n { o[i] = scalar(at: i) != 0 ? 1 : 0 }
        }
        return out
    }

    /// Every element truncated toward zero into integers of type T at `dst`: through Int64,
    /// wrapping to T's width (0 for values Int64 cannot hold exactly, e.g. NaN).
    private func truncate<T: FixedWidthInteger>(into dst: UnsafeMutableRawPointer, as _: T.Type) {
        let o = dst.assumingMemoryBound(to: T.self)
        for i in 0..<count { o[i] = T(truncatingIfNeeded: Int64(exactly: scalar(at: i).rounded(.towardZero)) ?? 0) }
    }

    /// True when both hold the same dtype, shape and bytes.
    public func isBitIdentical(to other: Tensor) -> Bool {
        dtype == other.dtype && shape == other.shape && bytes.elementsEqual(other.bytes)
    }
}
