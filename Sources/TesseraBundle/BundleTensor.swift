import TesseraCore

/// A tensor read from a bundle, its stored bytes verified: F32, F16 and BF16 as
/// stored (uncompressed ones are views of the mapped file), INT8 with its scales.
public struct BundleTensor: @unchecked Sendable {
    public let name: String
    public let tensor: Tensor
    /// INT8 only: f32 [rows], one per output channel.
    public let scales: Tensor?

    /// The values as f32: the tensor itself when it is f32, else an owned copy
    /// (INT8: q * scale of its row).
    public func dequantised() -> Tensor {
        if let scales { return Int8Quantisation.dequantise(tensor, scales: scales) }
        return tensor.float32()
    }
}
