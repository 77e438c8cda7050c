import TesseraImage

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

/// The tile transform's resize filter. Raw values are the manifest's `Interpolation` numbers: append-only.
public enum BundleInterpolation: UInt32, Sendable {
    /// Pillow's bicubic (a = -0.5), antialiased.
    case bicubic = 1
}

/// The tile transform's bundle description and the preprocessor that runs it.
extension BundleTileTransform {
    /// The bundle's description of `preprocessor` (Pillow's bicubic resize, centre crop, normalisation).
    public init(_ preprocessor: TilePreprocessor) {
        self.init(resize: preprocessor.resize, interpolation: .bicubic, crop: preprocessor.crop,
                  mean: preprocessor.mean, std: preprocessor.std)
    }

    /// The preprocessor for RGB tiles; nil unless there are three channels (PNG tiles are decoded to RGB).
    public var preprocessor: TilePreprocessor? {
        guard mean.count == 3, std.count == 3 else { return nil }
        return TilePreprocessor(resize: resize, crop: crop, mean: mean, std: std)
    }
}
