import TesseraBundle
import TesseraCore
import TesseraModels

/// The slide encoder's bundle description and the model configuration plus its pooling.
extension BundleSlideEncoder {
    /// The bundle's description of `config` with `pool` as `slide_embed`; nil when the
    /// grid's tile size is not a whole number of pixels (the bundle stores an integer).
    public init?(_ config: SlideEncoder.Config, pool: SlidePool) {
        guard let tileSize = Int(exactly: config.tileSize) else { return nil }
        self.init(inChans: config.inChans, embedDim: config.embedDim, depth: config.depth, heads: config.heads,
                  ffnDim: config.ffnDim, segmentLengths: config.branches.map { $0.segmentLength },
                  dilationRatios: config.branches.map { $0.ratio }, tileSize: tileSize, gridSize: config.gridSize,
                  pooling: pool == .mean ? .mean : .cls)
    }

    /// The model configuration this describes.
    public var config: SlideEncoder.Config {
        SlideEncoder.Config(inChans: inChans, embedDim: embedDim, depth: depth, ffnDim: ffnDim, heads: heads,
                            branches: zip(segmentLengths, dilationRatios).map {
                                DilatedAttention.Branch(segmentLength: $0, ratio: $1)
                            },
                            gridSize: gridSize, tileSize: Double(tileSize))
    }

    /// Which embedding `slide_embed` is.
    public var pool: SlidePool { pooling == .mean ? .mean : .cls }
}
