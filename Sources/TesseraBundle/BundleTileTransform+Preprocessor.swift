import TesseraImage

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
