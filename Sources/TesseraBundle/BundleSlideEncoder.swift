/// A LongNet ViT slide encoder over the tile embeddings and their grid positions.
public struct BundleSlideEncoder: Equatable, Sendable {
    /// The tile embedding's width.
    public var inChans: Int
    public var embedDim: Int
    public var depth: Int
    public var heads: Int
    public var ffnDim: Int
    /// Dilated attention's branches: segment length i goes with dilation ratio i.
    public var segmentLengths: [Int]
    public var dilationRatios: [Int]
    /// Level-0 pixels per grid cell.
    public var tileSize: Int
    /// Positions lie on a gridSize x gridSize grid.
    public var gridSize: Int
    /// What `slide_embed` is.
    public var pooling: BundlePooling

    public init(inChans: Int, embedDim: Int, depth: Int, heads: Int, ffnDim: Int, segmentLengths: [Int],
                dilationRatios: [Int], tileSize: Int, gridSize: Int, pooling: BundlePooling) {
        self.inChans = inChans
        self.embedDim = embedDim
        self.depth = depth
        self.heads = heads
        self.ffnDim = ffnDim
        self.segmentLengths = segmentLengths
        self.dilationRatios = dilationRatios
        self.tileSize = tileSize
        self.gridSize = gridSize
        self.pooling = pooling
    }
}
