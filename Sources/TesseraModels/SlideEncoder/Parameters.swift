import TesseraCore
import TesseraFormats

extension SlideEncoder {
    /// Walks a state dict by checkpoint key paths: `encoder.layers.3.ffn.fc1`
    /// is `root.child("encoder").child("layers").child(3).child("ffn").child("fc1")`.
    struct Parameters {
        let dict: StateDict
        let file: String
        let prefix: String

        func child(_ name: String) -> Parameters {
            Parameters(dict: dict, file: file, prefix: prefix + name + ".")
        }
        func child(_ index: Int) -> Parameters { child(String(index)) }

        /// The f32 tensor `prefix + name`, checked against `shape`.
        func tensor(_ name: String, shape: [Int]) throws -> Tensor {
            let key = prefix + name
            guard let t = dict[key] else { throw SlideEncoderError.missingTensor(name: key, file: file) }
            guard t.shape == shape else {
                throw SlideEncoderError.wrongShape(name: key, file: file, expected: shape, actual: t.shape)
            }
            return t.float32()
        }

        /// The shape of `prefix + name`, for inferring sizes.
        func shape(_ name: String) throws -> [Int] {
            let key = prefix + name
            guard let t = dict[key] else { throw SlideEncoderError.missingTensor(name: key, file: file) }
            return t.shape
        }
    }

    /// `nn.Linear(inFeatures, outFeatures)` with bias.
    struct LinearLayer {
        let weight: Tensor  // [out, in]
        let bias: Tensor    // [out]
        let inFeatures: Int, outFeatures: Int

        init(_ p: Parameters, in inFeatures: Int, out outFeatures: Int) throws {
            weight = try p.tensor("weight", shape: [outFeatures, inFeatures])
            bias = try p.tensor("bias", shape: [outFeatures])
            self.inFeatures = inFeatures
            self.outFeatures = outFeatures
        }

        /// out[rows, out] = inp[rows, in] W^T + b
        func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
            Linear.forward(out: out, inp: inp, weight: weight.floatBase, bias: bias.floatBase,
                           rows: rows, inFeatures: inFeatures, outFeatures: outFeatures)
        }

        /// residual[rows, out] += inp[rows, in] W^T + b
        func accumulate(into residual: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
            let b = bias.floatBase
            Parallel.chunks(rows) { range in
                for r in range {
                    let row = residual + r * outFeatures
                    for c in 0..<outFeatures { row[c] += b[c] }
                }
            }
            GEMM.sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
                       a: inp, lda: inFeatures, b: weight.floatBase, ldb: inFeatures,
                       beta: 1, c: residual, ldc: outFeatures)
        }
    }

    /// `nn.LayerNorm(width, eps)`.
    struct NormLayer {
        let weight: Tensor, bias: Tensor
        let width: Int
        let eps: Float

        init(_ p: Parameters, width: Int, eps: Float) throws {
            weight = try p.tensor("weight", shape: [width])
            bias = try p.tensor("bias", shape: [width])
            self.width = width
            self.eps = eps
        }

        /// out[rows, width] = layernorm(inp[rows, width]); may run in place.
        func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
            LayerNorm.forward(out: out, inp: inp, weight: weight.floatBase, bias: bias.floatBase,
                              rows: rows, cols: width, eps: eps)
        }

        /// layernorm of one row, as a new array.
        func callAsFunction(row: UnsafePointer<Float>) -> [Float] {
            [Float](unsafeUninitializedCapacity: width) { buffer, count in
                forward(out: buffer.baseAddress!, inp: row, rows: 1)
                count = width
            }
        }
    }
}

extension Tensor {
    /// The elements of an f32 tensor (the models keep their weights as f32).
    var floatBase: UnsafePointer<Float> {
        UnsafePointer(bytes.baseAddress!.assumingMemoryBound(to: Float.self))
    }
}
