import TesseraCore
import TesseraModels

extension VisionTransformer {
    /// The gradient buffer of parameter `name` (nil when frozen); the parameter must
    /// exist with the shape of the model's tensor.
    private func grad(_ parameters: ParameterSet, _ name: String, _ like: Tensor) throws -> UnsafeMutablePointer<Float>? {
        guard let p = parameters[name] else { throw TrainError.missingParameter(name) }
        guard p.count == like.count else { throw TrainError.shapeMismatch(name: name, expected: like.shape, found: p.shape) }
        return p.grad
    }

    /// The backward pass of the last `forward(_:activations:)`: accumulates d loss / d parameter
    /// into the gradient buffers of `parameters` (trainable ones; frozen ones are skipped), given
    /// - `hiddenGradients[i]`: d loss / d (output of block i) [batch, tokens, D], for any blocks;
    /// - `embeddingGradient`: d loss / d embedding [batch, D] (the class token after `norm`);
    /// - `imageGradient`: when given, d loss / d images [batch, C, H, W] is accumulated there.
    public func backward(activations act: TrainingActivations, hiddenGradients: [Int: UnsafePointer<Float>] = [:],
                         embeddingGradient: UnsafePointer<Float>? = nil, parameters: ParameterSet,
                         imageGradient: UnsafeMutablePointer<Float>? = nil) throws {
        let c = config, batch = act.batch, tokens = c.tokens, d = c.embedDim, rows = batch * tokens
        let dx = act.dx
        dx.update(repeating: 0, count: rows * d)
        if let dEmbedding = embeddingGradient {
            // embedding[b] = norm(x_L[b, 0])
            let gw = try grad(parameters, "norm.weight", norm.weight), gb = try grad(parameters, "norm.bias", norm.bias)
            for b in 0..<batch {
                LayerNorm.backward(dinp: dx + b * tokens * d, dweight: gw, dbias: gb, dout: dEmbedding + b * d,
                                   inp: act.states[c.depth] + b * tokens * d, weight: norm.weight.floatPointer,
                                   mean: act.clsMean + b, rstd: act.clsRstd + b, rows: 1, cols: d)
            }
        }
        for i in (0..<c.depth).reversed() {
            if let dHidden = hiddenGradients[i] { Residual.backward(dinp: dx, dout: dHidden, count: rows * d) }
            if act.recompute { blockForward(i, activations: act) }
            try blockBackward(i, activations: act, parameters: parameters)
        }
        // x0 = [cls | patches] + pos_embed, patches = patch_embed(images)
        let dpatches = act.dh
        dpatches.update(repeating: 0, count: batch * (tokens - 1) * d)
        TokenEmbedding.backward(dpatches: dpatches, dcls: try grad(parameters, "cls_token", clsToken),
                                dpos: try grad(parameters, "pos_embed", posEmbed), dout: dx,
                                batch: batch, count: tokens - 1, dim: d)
        let proj = patchEmbed.proj
        let scratch = imageGradient == nil ? nil : Tensor(zeros: [batch * (tokens - 1) * proj.inFeatures])
        PatchEmbedding.backward(dimage: imageGradient,
                                scratch: scratch.map { $0.mutableFloatPointer },
                                dweight: try grad(parameters, "patch_embed.proj.weight", proj.weight),
                                dbias: try proj.bias.map { try grad(parameters, "patch_embed.proj.bias", $0) } ?? nil,
                                dout: dpatches, cols: act.cols, weight: proj.weight.floatPointer, batch: batch,
                                channels: c.inChannels, height: c.imageSize, width: c.imageSize,
                                patch: c.patchSize, dim: d)
    }

    /// Block i backward: act.dx holds d loss / d out on entry and d loss / d x on return.
    private func blockBackward(_ i: Int, activations act: TrainingActivations, parameters: ParameterSet) throws {
        let c = config, blk = blocks[i], s = act.cache(i), x = act.states[i]
        let rows = act.batch * c.tokens, d = c.embedDim, dx = act.dx
        let name = "blocks.\(i)."
        func g(_ n: String, _ t: Tensor) throws -> UnsafeMutablePointer<Float>? { try grad(parameters, name + n, t) }
        func gb(_ n: String, _ t: Tensor?) throws -> UnsafeMutablePointer<Float>? { try t.map { try g(n, $0) } ?? nil }

        // out = mid + ls2 ⊙ q: dq = ls2 ⊙ dx (dgamma2 += Σ dx ⊙ q); dmid = dx (residual)
        let dq = try scaledBranchGradient(dx, gamma: blk.ls2?.gamma, kept: s.q, dgamma: blk.ls2.map { try g("ls2.gamma", $0.gamma) } ?? nil,
                                          scratch: act.dbranch, rows: rows, cols: d)
        // q = fc2(g)
        let fc2 = blk.mlp.fc2
        act.dgate.update(repeating: 0, count: rows * fc2.inFeatures)
        Linear.backward(dinp: act.dgate, dweight: try g("mlp.fc2.weight", fc2.weight), dbias: try gb("mlp.fc2.bias", fc2.bias),
                        dout: dq, inp: s.g, weight: fc2.weight.floatPointer, rows: rows, inFeatures: fc2.inFeatures, outFeatures: d)
        // g = gelu(f) or silu(f_a) ⊙ f_b
        act.dwide.update(repeating: 0, count: rows * c.mlpHidden)
        switch c.mlp {
        case .gelu: GELU.backward(dinp: act.dwide, inp: s.f, dout: act.dgate, count: rows * c.mlpHidden)
        case .swiGLUPacked: SwiGLU.backward(dinp: act.dwide, inp: s.f, dout: act.dgate, rows: rows, hidden: c.mlpGated)
        }
        // f = fc1(h2)
        let fc1 = blk.mlp.fc1
        act.dh.update(repeating: 0, count: rows * d)
        Linear.backward(dinp: act.dh, dweight: try g("mlp.fc1.weight", fc1.weight), dbias: try gb("mlp.fc1.bias", fc1.bias),
                        dout: act.dwide, inp: s.h2, weight: fc1.weight.floatPointer, rows: rows, inFeatures: d, outFeatures: c.mlpHidden)
        // h2 = norm2(mid): dx becomes d loss / d mid
        LayerNorm.backward(dinp: dx, dweight: try g("norm2.weight", blk.norm2.weight), dbias: try g("norm2.bias", blk.norm2.bias),
                           dout: act.dh, inp: s.mid, weight: blk.norm2.weight.floatPointer, mean: s.mean2, rstd: s.rstd2, rows: rows, cols: d)
        // mid = x + ls1 ⊙ p
        let dp = try scaledBranchGradient(dx, gamma: blk.ls1?.gamma, kept: s.p, dgamma: blk.ls1.map { try g("ls1.gamma", $0.gamma) } ?? nil,
                                          scratch: act.dbranch, rows: rows, cols: d)
        // p = proj(a)
        let proj = blk.attn.proj
        act.dh.update(repeating: 0, count: rows * d)
        Linear.backward(dinp: act.dh, dweight: try g("attn.proj.weight", proj.weight), dbias: try gb("attn.proj.bias", proj.bias),
                        dout: dp, inp: s.a, weight: proj.weight.floatPointer, rows: rows, inFeatures: d, outFeatures: d)
        // a = attention(qkv)
        act.dwide.update(repeating: 0, count: rows * 3 * d)
        TesseraCore.Attention.backward(dqkv: act.dwide, dout: act.dh, qkv: s.qkv, probs: s.probs, batch: act.batch,
                                       tokens: c.tokens, heads: c.numHeads, headDim: c.headDim)
        // qkv = qkv(h1)
        let qkv = blk.attn.qkv
        act.dh.update(repeating: 0, count: rows * d)
        Linear.backward(dinp: act.dh, dweight: try g("attn.qkv.weight", qkv.weight), dbias: try gb("attn.qkv.bias", qkv.bias),
                        dout: act.dwide, inp: s.h1, weight: qkv.weight.floatPointer, rows: rows, inFeatures: d, outFeatures: 3 * d)
        // h1 = norm1(x): dx becomes d loss / d x
        LayerNorm.backward(dinp: dx, dweight: try g("norm1.weight", blk.norm1.weight), dbias: try g("norm1.bias", blk.norm1.bias),
                           dout: act.dh, inp: x, weight: blk.norm1.weight.floatPointer, mean: s.mean1, rstd: s.rstd1, rows: rows, cols: d)
    }

    /// The gradient reaching a residual branch y = gamma ⊙ kept: gamma ⊙ dout in `scratch`
    /// (dgamma += Σ dout ⊙ kept), or dout itself without LayerScale.
    private func scaledBranchGradient(_ dout: UnsafePointer<Float>, gamma: Tensor?, kept: UnsafePointer<Float>,
                                      dgamma: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
                                      rows: Int, cols: Int) -> UnsafePointer<Float> {
        guard let gamma else { return dout }
        scratch.update(repeating: 0, count: rows * cols)
        TesseraCore.LayerScale.backward(dinp: scratch, dgamma: dgamma, dout: dout, inp: kept, gamma: gamma.floatPointer,
                                        rows: rows, cols: cols)
        return UnsafePointer(scratch)
    }
}
