import TesseraCore

/// How two outputs of the same slide agree, tensor by tensor (the tensors both hold, with
/// the same shape): the smallest cosine over rows ([N, D] tensors row by row, [D] as one row)
/// and the largest absolute difference relative to the reference's largest magnitude.
public struct OutputComparison: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let shape: [Int]
        public let minimumCosine: Double
        public let relativeError: Double
    }

    public let entries: [Entry]

    public init(_ output: StateDict, reference: StateDict) {
        entries = reference.names.compactMap { name in
            guard let a = output[name], let b = reference[name], a.shape == b.shape, a.dtype.isFloatingPoint,
                  b.dtype.isFloatingPoint, a.count > 0 else { return nil }
            let width = a.shape.last ?? 1, rows = a.count / max(width, 1)
            var minimum = 1.0, error = 0.0, scale = 0.0
            for r in 0..<rows {
                var ab = 0.0, aa = 0.0, bb = 0.0
                for c in 0..<width {
                    let x = a.scalar(at: r * width + c), y = b.scalar(at: r * width + c)
                    ab += x * y
                    aa += x * x
                    bb += y * y
                    error = max(error, abs(x - y))
                    scale = max(scale, abs(y))
                }
                minimum = min(minimum, aa == 0 && bb == 0 ? 1 : ab / max((aa * bb).squareRoot(), .leastNormalMagnitude))
            }
            return Entry(name: name, shape: a.shape, minimumCosine: minimum, relativeError: scale > 0 ? error / scale : error)
        }
    }
}
