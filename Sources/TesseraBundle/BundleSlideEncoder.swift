import TesseraModels

/// A bundle's slide encoder: the model's own configuration (no mirrored copy: the manifest's
/// fields are read into it and written from it) and which embedding `slide_embed` is.
/// The manifest stores the grid's tile size as whole pixels.
public struct BundleSlideEncoder: Equatable, Sendable {
    public var config: SlideEncoder.Config
    public var pool: SlidePool

    public init(config: SlideEncoder.Config, pool: SlidePool) {
        self.config = config
        self.pool = pool
    }
}
