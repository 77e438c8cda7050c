/// Symmetric per-output-channel int8 (formats/bundle.md, "Dtypes and
/// quantisation"): for W [rows, cols], scale[r] = max |W[r, :]| / 127 and
/// q = W / scale[r] rounded to nearest even, so |W - q * scale[r]| <= scale[r] / 2.
/// The bundle writer's rule, and the one int8 tile encoders apply at load to the patch
/// embedding the bundle keeps in f32.
public enum Int8Quantisation {
    /// The largest scale a row may have: its largest weight, 127 x scale, is then within F16's
    /// range (65504), the bound the bundle writer puts on every weight it converts. A larger one
    /// (3e38) is no trained weight's and overflows the products to infinity.
    public static let maxScale: Float = 65504 / 127

    /// Whether a row can have `scale`: at least 0 (a row of zeros has 0), at most `maxScale`
    /// (so finite); NaN is neither.
    public static func isValid(scale: Float) -> Bool { scale >= 0 && scale <= maxScale }

    /// `weights` (f32 [rows, cols]) as int8 values [rows, cols] and f32 scales [rows].
    public static func quantise(_ weights: Tensor) -> (values: Tensor, scales: Tensor) {
        guarantee(weights.rank == 2 && weights.dtype == .f32, "int8 quantisation takes an f32 matrix, not \(weights.dtype)")
        let (rows, cols) = (weights.shape[0], weights.shape[1])
        let values = Tensor(zeros: [rows, cols], dtype: .i8)
        let scales = Tensor(zeros: [rows])
        let q = values.storage.mutableBytes.bindMemory(to: Int8.self)
        weights.withFloats { w in
            scales.withMutableFloats { s in
                for r in 0..<rows {
                    let row = w[(r * cols)..<((r + 1) * cols)]
                    let scale = row.reduce(Float(0)) { max($0, abs($1)) } / 127
                    s[r] = scale
                    guard scale > 0 else { continue }
                    for c in 0..<cols {
                        // In double, so the only rounding is the one to an integer.
                        let level = (Double(row[r * cols + c]) / Double(scale)).rounded(.toNearestOrEven)
                        q[r * cols + c] = Int8(max(-127, min(127, level)))
                    }
                }
            }
        }
        return (values, scales)
    }

    /// W[r, c] = q[r, c] * scales[r], as an owned f32 tensor.
    public static func dequantise(_ values: Tensor, scales: Tensor) -> Tensor {
        guarantee(values.rank == 2 && values.dtype == .i8 && scales.count == values.shape.first,
                  "int8 dequantisation takes i8 [rows, cols] and scales [rows], not \(values.dtype) "
                  + "\(Tensor.describe(values.shape)) and \(Tensor.describe(scales.shape))")
        let (rows, cols) = (values.shape[0], values.shape[1])
        let out = Tensor(zeros: values.shape)
        let q = values.bytes.assumingMemoryBound(to: Int8.self)
        scales.withFloats { s in
            out.withMutableFloats { w in
                for r in 0..<rows {
                    for c in 0..<cols { w[r * cols + c] = Float(q[r * cols + c]) * s[r] }
                }
            }
        }
        return out
    }
}
