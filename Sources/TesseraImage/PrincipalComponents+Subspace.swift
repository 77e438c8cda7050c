import TesseraCore

extension PrincipalComponents {
    /// Ritz vectors beyond the wanted ones: the block converges at the rate l_(k+guard+1) / l_k
    /// per iteration rather than l_(k+1) / l_k, which may be close to 1.
    static let guardVectors = 8

    /// The `count` eigenvectors of largest eigenvalue of the symmetric positive semi-definite
    /// `matrix` [size, size], by subspace iteration with Rayleigh-Ritz (see the type's comment).
    /// The start is a fixed pseudo-random block, so the result is the same on every run.
    /// Blocks of vectors are flat: vector j of a block is entries j * size ..< (j + 1) * size.
    static func leadingEigenvectors(of matrix: [Double], size d: Int, count k: Int)
        -> (values: [Double], vectors: [[Double]], iterations: Int, converged: Bool) {
        let b = min(d, k + guardVectors)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var q = orthonormalised((0..<b * d).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }, size: d)
        var values = [Double](repeating: 0, count: b), vectors = q
        var iteration = 0
        while true {
            iteration += 1
            let z = multiply(matrix, size: d, q)
            var h = [Double](repeating: 0, count: b * b)
            for i in 0..<b {
                for j in i..<b { h[i * b + j] = dot(q, i, z, j, size: d) }
            }
            let ritz = SymmetricEigen(h, size: b)
            values = ritz.values
            vectors = combine(q, ritz.vectors, size: d)
            let images = combine(z, ritz.vectors, size: d)  // matrix * vectors, without another product
            var residual = 0.0
            for j in 0..<k {
                var r = 0.0
                for i in j * d..<(j + 1) * d { r += (images[i] - values[j] * vectors[i]) * (images[i] - values[j] * vectors[i]) }
                residual = max(residual, r.squareRoot())
            }
            let done = values[0] <= 0 || residual <= 1e-12 * values[0]
            if done || iteration == maxIterations {
                return (Array(values[0..<k]), (0..<k).map { Array(vectors[$0 * d..<($0 + 1) * d]) }, iteration, done)
            }
            q = orthonormalised(images, size: d)
        }
    }

    /// matrix * v for each vector v of the block, the matrix's rows shared out over `Parallel`'s threads.
    static func multiply(_ matrix: [Double], size d: Int, _ block: [Double]) -> [Double] {
        let b = block.count / d
        var out = [Double](repeating: 0, count: block.count)
        out.withUnsafeMutableBufferPointer { out in
            matrix.withUnsafeBufferPointer { m in
                block.withUnsafeBufferPointer { v in
                    Parallel.chunks(d) { rows in
                        for i in rows {
                            for j in 0..<b { out[j * d + i] = dot(m.baseAddress! + i * d, v.baseAddress! + j * d, count: d) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Vector j of the result: sum over m of basis vector m times coefficients[j][m].
    static func combine(_ basis: [Double], _ coefficients: [[Double]], size d: Int) -> [Double] {
        var out = [Double](repeating: 0, count: coefficients.count * d)
        for (j, c) in coefficients.enumerated() {
            for (m, w) in c.enumerated() {
                for i in 0..<d { out[j * d + i] += w * basis[m * d + i] }
            }
        }
        return out
    }

    /// An orthonormal basis of the block's span, by modified Gram-Schmidt done twice (once leaves
    /// errors of the order of the condition number times the rounding). A vector that (nearly)
    /// lies in the span of those before it, as in a matrix of lower rank than the block, is
    /// replaced by the first coordinate axis that does not, so the block stays full.
    static func orthonormalised(_ block: [Double], size d: Int) -> [Double] {
        var basis = block
        var axis = 0
        for j in 0..<block.count / d {
            var before = norm(basis, j, size: d)
            while true {
                for _ in 0..<2 {
                    for u in 0..<j {
                        let p = dot(basis, u, basis, j, size: d)
                        for i in 0..<d { basis[j * d + i] -= p * basis[u * d + i] }
                    }
                }
                let after = norm(basis, j, size: d)
                if after > 1e-10 * before && after > 0 {
                    for i in j * d..<(j + 1) * d { basis[i] /= after }
                    break
                }
                for i in j * d..<(j + 1) * d { basis[i] = 0 }
                basis[j * d + axis] = 1
                axis += 1
                before = 1
            }
        }
        return basis
    }

    /// a . b over `count` entries, in four lanes (`VectorMath.dot`).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int) -> Double {
        VectorMath.dot(a, b, count: count, lanes: SIMD4<Double>.self)
    }

    /// Vector i of block a . vector j of block b.
    static func dot(_ a: [Double], _ i: Int, _ b: [Double], _ j: Int, size d: Int) -> Double {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in dot(a.baseAddress! + i * d, b.baseAddress! + j * d, count: d) } }
    }

    static func norm(_ block: [Double], _ j: Int, size d: Int) -> Double { dot(block, j, block, j, size: d).squareRoot() }
}
