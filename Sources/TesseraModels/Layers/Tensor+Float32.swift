import CTesseraKernels
import TesseraCore

extension Tensor {
    /// An f32, f16 or bf16 tensor's values as f32 for the duration of `body`: itself, or the
    /// 16-bit values widened (exactly) into scratch.
    func withFloat32<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        guard dtype == .f16 || dtype == .bf16 else { return body(floatPointer) }
        let widened = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { widened.deallocate() }
        let half = bytes.baseAddress!.assumingMemoryBound(to: UInt16.self)
        let bf16 = dtype == .bf16
        Parallel.chunks(count) { range in
            if bf16 {
                for i in range { widened[i] = HalfPrecision.float(fromBF16: half[i]) }
                return
            }
            let status = tk_f16_to_f32(tk_best_path(), half + range.lowerBound, widened + range.lowerBound, range.count)
            guarantee(status == TK_OK, "tk_f16_to_f32 failed with status \(status.rawValue)")
        }
        return body(widened)
    }

    /// This 16-bit tensor itself when its storage is 2-byte aligned, else an aligned copy.
    func twoByteAligned() -> Tensor {
        Int(bitPattern: bytes.baseAddress) % MemoryLayout<UInt16>.alignment == 0 ? self : converted(to: dtype)
    }
}
