/// The tile transform before the tile encoder: resize the shorter side, centre
/// crop, scale to 0...1, normalise per channel.
public struct BundleTileTransform: Equatable, Sendable {
    public var resize: Int
    public var interpolation: BundleInterpolation
    public var crop: Int
    /// One per input channel.
    public var mean: [Float]
    public var std: [Float]

    public init(resize: Int, interpolation: BundleInterpolation, crop: Int, mean: [Float], std: [Float]) {
        self.resize = resize
        self.interpolation = interpolation
        self.crop = crop
        self.mean = mean
        self.std = std
    }
}
