import TesseraCore

extension VisionTransformer {
    /// `patch_embed.proj`: Conv2d(C, D, kernel p, stride p), run as im2col + one GEMM
    /// per image: token (gy, gx) = W · patch(gy, gx) + b, W viewed as [D, C·p·p].
    public struct PatchEmbed: Sendable {
        public let proj: LinearLayer
        public let patchSize: Int
        public let inChans: Int
        public let imageSize: Int

        init(_ scope: WeightScope, config: Config) {
            patchSize = config.patchSize
            inChans = config.inChans
            imageSize = config.imageSize
            let proj = scope.scope("proj")
            let p = config.patchSize, c = config.inChans, d = config.embedDim
            let weight = proj.tensor("weight", shape: [d, c, p, p])
            self.proj = LinearLayer(weight: .f32(weight.count == 0 ? weight : weight.reshaped([d, c * p * p])),
                                    bias: proj.tensor("bias", shape: [d]), inFeatures: c * p * p, outFeatures: d,
                                    precision: scope.precision)
        }

        private init(proj: LinearLayer, like other: PatchEmbed) {
            self.proj = proj
            patchSize = other.patchSize
            inChans = other.inChans
            imageSize = other.imageSize
        }

        /// This embedding on the int8 kernels, for a tile encoder whose Linear layers are int8:
        /// the f32 weights quantised per output channel by the bundle writer's rule
        /// (`Int8Quantisation`), each patch row per row at run time like any Linear's input.
        /// formats/bundle.md gives what this costs in accuracy. Unchanged when the weights are
        /// not f32 or the int8 kernels cannot take them.
        func quantised() -> PatchEmbed {
            guard proj.weight.dtype == .f32, proj.weight.count == proj.outFeatures * proj.inFeatures,
                  LinearLayer.packingProblem(int8: true, bias: proj.bias, inFeatures: proj.inFeatures) == nil else { return self }
            let (values, scales) = Int8Quantisation.quantise(proj.weight)
            return PatchEmbed(proj: LinearLayer(weight: .int8(values: values, scales: scales), bias: proj.bias,
                                                inFeatures: proj.inFeatures, outFeatures: proj.outFeatures), like: self)
        }

        public var patchCount: Int { (imageSize / patchSize) * (imageSize / patchSize) }
        /// Width of an im2col row: C·p·p.
        public var patchLength: Int { inChans * patchSize * patchSize }

        /// x[b, 1 + i, :] += W · patch_i(images[b]) + b for every image b and patch i;
        /// x is [batch, tokens, D] already holding the position embedding.
        /// patches is scratch of [batch · patchCount, C·p·p].
        public func callAsFunction(accumulateInto x: UnsafeMutablePointer<Float>, images: UnsafePointer<Float>,
                                   batch: Int, patches: UnsafeMutablePointer<Float>) {
            PatchEmbedding.im2col(cols: patches, image: images, batch: batch, channels: inChans,
                                  height: imageSize, width: imageSize, patch: patchSize)
            let d = proj.outFeatures, tokens = patchCount + 1
            for b in 0..<batch {
                proj.accumulate(into: x + (b * tokens + 1) * d, inp: patches + b * patchCount * patchLength,
                                rows: patchCount)
            }
        }
    }
}
