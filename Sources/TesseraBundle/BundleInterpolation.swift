/// The tile transform's resize filter. Raw values are the manifest's `Interpolation` numbers: append-only.
public enum BundleInterpolation: UInt32, Sendable {
    /// Pillow's bicubic (a = -0.5), antialiased.
    case bicubic = 1
}
