import TesseraCore

/// Converts runs of floating-point elements between F64/F32/F16/BF16 through
/// Float, rounding to nearest even exactly as `torch.Tensor.to` does (F64
/// goes to Float first, as PyTorch's half and bfloat16 constructors do).
enum ElementConversion {
    /// `count` elements of `source` (dtype `from`) as `target` into `destination`;
    /// `scratch` holds at least `count` Floats.
    static func convert(_ source: UnsafeRawPointer, from: DType, to destination: UnsafeMutableRawPointer, _ target: DType,
                        count: Int, scratch: UnsafeMutablePointer<Float>) {
        let floats: UnsafePointer<Float>
        switch from {
        case .f32 where Int(bitPattern: source) % MemoryLayout<Float>.alignment == 0:
            floats = source.assumingMemoryBound(to: Float.self)
        case .f32:  // after odd-sized I8/U8/BOOL tensors the data can be unaligned
            UnsafeMutableRawPointer(scratch).copyMemory(from: source, byteCount: 4 * count)
            floats = UnsafePointer(scratch)
        case .f64:
            for i in 0..<count { scratch[i] = Float(source.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            floats = UnsafePointer(scratch)
        case .f16:
            for i in 0..<count { scratch[i] = HalfPrecision.float(fromF16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            floats = UnsafePointer(scratch)
        case .bf16:
            for i in 0..<count { scratch[i] = HalfPrecision.float(fromBF16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            floats = UnsafePointer(scratch)
        default:
            guaranteeFailure("ElementConversion takes floating-point dtypes only, not \(from)")
        }
        switch target {
        case .f32:
            destination.copyMemory(from: floats, byteCount: 4 * count)
        case .f16:
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = HalfPrecision.f16(from: floats[i]) }
        case .bf16:
            let out = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = HalfPrecision.bf16(from: floats[i]) }
        default:
            guaranteeFailure("ElementConversion writes F32, F16 or BF16, not \(target)")
        }
    }
}
