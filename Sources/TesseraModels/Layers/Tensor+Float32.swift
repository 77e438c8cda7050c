import CTesseraKernels
import TesseraCore

extension Tensor {
    /// An f32 or f16 tensor's values as f32 for the duration of `body`: itself, or f16 widened
    /// (exactly) into scratch.
    func withFloat32<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        guard dtype == .f16 else { return body(floatPointer) }
        let widened = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { widened.deallocate() }
        let half = bytes.baseAddress!.assumingMemoryBound(to: UInt16.self)
        Parallel.chunks(count) { range in
            let status = tk_f16_to_f32(tk_best_path(), half + range.lowerBound, widened + range.lowerBound, range.count)
            guarantee(status == TK_OK, "tk_f16_to_f32 failed with status \(status.rawValue)")
        }
        return body(widened)
    }
}
