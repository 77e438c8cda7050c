import TesseraCore

/// The leading principal components of N rows of D values (tile embeddings, `tile_embeds`
/// [N, D]), in double precision, as numpy or scikit-learn compute them: the rows centred on
/// their mean, the covariance's eigenvectors of largest eigenvalue (`loadings`), and each row's
/// coordinates along them (`scores`). docs/plot.md gives the rules; `fixtures/plot/make_plot.py`
/// the reference this is tested against.
///
/// - The scatter matrix (the covariance times N - 1) is summed in double by a blocked kernel
///   (`PrincipalComponents+Covariance.swift`), N * D^2 multiply-adds, spread over `Parallel`'s
///   threads; the order of every sum is fixed, so the result does not depend on the thread count.
/// - Its leading eigenvectors come from subspace iteration with Rayleigh-Ritz
///   (`PrincipalComponents+Subspace.swift`): a block of `components + 8` vectors multiplied by
///   the matrix and re-orthonormalised until every wanted Ritz pair (v, l) has
///   |C v - l v| <= 1e-12 * l_1, or `maxIterations` (then `converged` is false; the vectors are
///   still an orthonormal basis close to the leading subspace).
/// - Signs as scikit-learn's `svd_flip(u_based_decision=False)`: each loading is signed so that
///   its entry of largest magnitude (the first of equals) is positive.
public struct PrincipalComponents: Sendable {
    /// N, the rows.
    public let count: Int
    /// D, the values per row.
    public let width: Int
    /// The rows' mean [D].
    public let mean: [Double]
    /// `loadings[k]`: the k-th principal axis, a unit vector [D]. When D is smaller than the
    /// components asked for, the missing ones are zero vectors with variance 0.
    public let loadings: [[Double]]
    /// `variances[k]`: the variance along `loadings[k]` (the covariance's eigenvalue, divided by
    /// N - 1 as numpy and scikit-learn do; 0 for one row), largest first.
    public let variances: [Double]
    /// The total variance (the covariance's trace): `variances[k] / totalVariance` is the share a
    /// component explains.
    public let totalVariance: Double
    /// [N, components] row-major: `scores[n * components + k]` = (row n - mean) . loadings[k].
    public let scores: [Double]
    /// Subspace iterations run, and whether they met the tolerance.
    public let iterations: Int
    public let converged: Bool

    public static let maxIterations = 1000

    /// The first `components` principal components of `rows`, [count, width] row-major.
    public init(rows: UnsafeBufferPointer<Float>, count n: Int, width d: Int, components: Int = 3) {
        guarantee(n > 0 && d > 0 && components > 0 && rows.count == n * d,
                  "PrincipalComponents: \(rows.count) values for \(n) rows of \(d), \(components) components")
        count = n
        width = d
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n {
            for i in 0..<d { mean[i] += Double(rows[r * d + i]) }
        }
        for i in 0..<d { mean[i] /= Double(n) }
        self.mean = mean

        let scatter = Self.scatter(rows, count: n, width: d, mean: mean)
        let found = min(components, d)
        let leading = Self.leadingEigenvectors(of: scatter, size: d, count: found)
        iterations = leading.iterations
        converged = leading.converged
        let divisor = Double(max(n - 1, 1))
        variances = (0..<components).map { $0 < found ? max(leading.values[$0], 0) / divisor : 0 }
        totalVariance = (0..<d).reduce(0) { $0 + scatter[$1 * d + $1] } / divisor
        loadings = (0..<components).map { $0 < found ? Self.signed(leading.vectors[$0]) : [Double](repeating: 0, count: d) }

        var scores = [Double](repeating: 0, count: n * components)
        let axes = loadings.flatMap { $0 }, centre = mean
        scores.withUnsafeMutableBufferPointer { out in
            axes.withUnsafeBufferPointer { axes in
                Parallel.chunks(n) { range in
                    var row = [Double](repeating: 0, count: d)
                    for r in range {
                        for i in 0..<d { row[i] = Double(rows[r * d + i]) - centre[i] }
                        for k in 0..<components { out[r * components + k] = Self.dot(row, axes.baseAddress! + k * d, count: d) }
                    }
                }
            }
        }
        self.scores = scores
    }

    /// `vector` or its negative: the one whose entry of largest magnitude (the first of equals) is positive.
    static func signed(_ vector: [Double]) -> [Double] {
        var largest = 0
        for i in vector.indices where abs(vector[i]) > abs(vector[largest]) { largest = i }
        return vector[largest] < 0 ? vector.map { -$0 } : vector
    }
}
