import TesseraCore


extension VisionTransformer.Config {
    /// One matrix product of the forward pass: C[m, n] = A[m, k] · B^T[k, n]
    /// (B^T when `transB`), run `count` times; `perHead` products run one per
    /// (image, head) spread over the threads, the others are split by `GEMM`.
    public struct ProductShape: Sendable, Equatable {
        public let m, n, k: Int
        public let transB: Bool
        public let count: Int
        public let perHead: Bool
        public var multiplyAdds: Int { m * n * k * count }
    }

    /// The GEMMs of a forward pass over `batch` images, as Tessera runs them.
    public func products(batch: Int) -> [ProductShape] {
        let rows = batch * tokens, d = embedDim, hd = headDim, t = tokens
        return [
            .init(m: tokens - 1, n: d, k: inChans * patchSize * patchSize, transB: true, count: batch, perHead: false),
            .init(m: rows, n: 3 * d, k: d, transB: true, count: depth, perHead: false),
            .init(m: t, n: t, k: hd, transB: true, count: depth * batch * heads, perHead: true),
            .init(m: t, n: hd, k: t, transB: false, count: depth * batch * heads, perHead: true),
            .init(m: rows, n: d, k: d, transB: true, count: depth, perHead: false),
            .init(m: rows, n: mlpHidden, k: d, transB: true, count: depth, perHead: false),
            .init(m: rows, n: d, k: mlpGated, transB: true, count: depth, perHead: false),
        ]
    }
}
