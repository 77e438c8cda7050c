/// Eigenvalues and eigenvectors of a small symmetric matrix in double precision, by cyclic
/// Jacobi rotations: each rotation zeroes one off-diagonal entry, and sweeps over all of them
/// repeat until the off-diagonal part is negligible. Slow (O(n^3) per sweep) but simple and
/// accurate to a few ulps of the largest eigenvalue: meant for the Rayleigh-Ritz step of
/// `PrincipalComponents` (n of about ten).
struct SymmetricEigen {
    /// Eigenvalues, largest first.
    let values: [Double]
    /// `vectors[j]` is the unit eigenvector of `values[j]` (n entries).
    let vectors: [[Double]]

    /// `matrix` is n x n, row-major, symmetric (only its upper triangle is read).
    init(_ matrix: [Double], size n: Int) {
        var a = matrix
        for i in 0..<n {
            for j in 0..<i { a[i * n + j] = a[j * n + i] }
        }
        var v = [Double](repeating: 0, count: n * n)  // columns: the eigenvectors
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<64 {  // converges quadratically: a dozen sweeps at most in practice
            var off = 0.0, diagonal = 0.0
            for i in 0..<n {
                diagonal += a[i * n + i] * a[i * n + i]
                for j in i + 1..<n { off += a[i * n + j] * a[i * n + j] }
            }
            guard off > 1e-32 * diagonal, off > 0 else { break }
            for p in 0..<n {
                for q in p + 1..<n where a[p * n + q] != 0 {
                    // The rotation by angle t = tan(theta) that zeroes a[p][q], the smaller of the two roots.
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q])
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {  // columns p and q: A <- A R
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {  // rows p and q: A <- R^T A
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] || (a[$0 * n + $0] == a[$1 * n + $1] && $0 < $1) }
        values = order.map { a[$0 * n + $0] }
        vectors = order.map { j in (0..<n).map { v[$0 * n + j] } }
    }
}
