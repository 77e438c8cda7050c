import TesseraCore
import TesseraModels

extension VisionTransformer {
    /// The backward pass of the last `forward(_:activations:)`: accumulates d loss / d parameter
    /// into `gradients` (this model's tree over the gradient buffers, `gradients(_:)`; frozen
    /// parameters are skipped), given
    /// - `hiddenGradients[i]`: d loss / d (output of block i) [batch, tokens, D], for any blocks;
    /// - `embeddingGradient`: d loss / d embedding [batch, D] (the class token after `norm`);
    /// - `imageGradient`: when given, d loss / d images [batch, C, H, W] is accumulated there.
    public func backward(activations act: TrainingActivations, hiddenGradients: [Int: UnsafePointer<Float>] = [:],
                         embeddingGradient: UnsafePointer<Float>? = nil, gradients grads: Gradients<VisionTransformer>,
                         imageGradient: UnsafeMutablePointer<Float>? = nil) {
        let g = grads.tree, saved = act.saved
        let c = config, batch = saved.batch, tokens = c.tokens, d = c.embedDim, rows = batch * tokens
        let dx = act.dx
        dx.update(repeating: 0, count: rows * d)
        if let dEmbedding = embeddingGradient {
            // embedding[b] = norm(x_L[b, 0])
            for b in 0..<batch {
                LayerNorm.backward(dinp: dx + b * tokens * d, dweight: grads.of(g.norm.weight), dbias: grads.of(g.norm.bias),
                                   dout: dEmbedding + b * d, inp: saved.states[c.depth] + b * tokens * d,
                                   weight: norm.weight.floatPointer, mean: saved.clsMean + b, rstd: saved.clsRstd + b,
                                   rows: 1, cols: d)
            }
        }
        for i in (0..<c.depth).reversed() {
            if let dHidden = hiddenGradients[i] { Residual.backward(dinp: dx, dout: dHidden, count: rows * d) }
            if saved.recompute { forward(block: i, saving: saved) }
            blockBackward(i, activations: act, gradients: grads)
        }
        // x0 = [cls | patches] + pos_embed, patches = patch_embed(images)
        let dpatches = act.dh
        dpatches.update(repeating: 0, count: batch * (tokens - 1) * d)
        TokenEmbedding.backward(dpatches: dpatches, dcls: grads.of(g.clsToken), dpos: grads.of(g.posEmbed), dout: dx,
                                batch: batch, count: tokens - 1, dim: d)
        let proj = patchEmbed.proj
        let scratch = imageGradient == nil ? nil : Tensor(zeros: [batch * (tokens - 1) * proj.inFeatures])
        PatchEmbedding.backward(dimage: imageGradient, scratch: scratch.map { $0.mutableFloatPointer },
                                dweight: grads.of(g.patchEmbed.proj.weight), dbias: grads.of(g.patchEmbed.proj.bias),
                                dout: dpatches, cols: saved.cols, weight: proj.weight.floatPointer, batch: batch,
                                channels: c.inChans, height: c.imageSize, width: c.imageSize, patch: c.patchSize, dim: d)
    }

    /// Block i backward: act.dx holds d loss / d out on entry and d loss / d x on return.
    private func blockBackward(_ i: Int, activations act: TrainingActivations, gradients grads: Gradients<VisionTransformer>) {
        let c = config, blk = blocks[i], gb = grads.tree.blocks[i], s = act.saved.block(i), x = act.saved.states[i]
        let rows = act.batch * c.tokens, d = c.embedDim, dx = act.dx

        // out = mid + ls2 ⊙ q: dq = ls2 ⊙ dx (dgamma2 += Σ dx ⊙ q); dmid = dx (residual)
        let dq = scaledBranchGradient(dx, gamma: blk.ls2?.gamma, kept: s.q, dgamma: grads.of(gb.ls2?.gamma),
                                      scratch: act.dbranch, rows: rows, cols: d)
        // q = fc2(g)
        linearBackward(blk.mlp.fc2, gb.mlp.fc2, grads, dinp: act.dgate, dout: dq, inp: s.g, rows: rows)
        // g = gelu(f) or silu(f_a) ⊙ f_b
        act.dwide.update(repeating: 0, count: rows * c.mlpHidden)
        switch c.mlp {
        case .gelu: GELU.backward(dinp: act.dwide, inp: s.f, dout: act.dgate, count: rows * c.mlpHidden)
        case .swiGLUPacked: SwiGLU.backward(dinp: act.dwide, inp: s.f, dout: act.dgate, rows: rows, hidden: c.mlpGated)
        }
        // f = fc1(h2)
        linearBackward(blk.mlp.fc1, gb.mlp.fc1, grads, dinp: act.dh, dout: act.dwide, inp: s.h2, rows: rows)
        // h2 = norm2(mid): dx becomes d loss / d mid
        LayerNorm.backward(dinp: dx, dweight: grads.of(gb.norm2.weight), dbias: grads.of(gb.norm2.bias), dout: act.dh,
                           inp: s.mid, weight: blk.norm2.weight.floatPointer, mean: s.mean2, rstd: s.rstd2, rows: rows, cols: d)
        // mid = x + ls1 ⊙ p
        let dp = scaledBranchGradient(dx, gamma: blk.ls1?.gamma, kept: s.p, dgamma: grads.of(gb.ls1?.gamma),
                                      scratch: act.dbranch, rows: rows, cols: d)
        // p = proj(a)
        linearBackward(blk.attn.proj, gb.attn.proj, grads, dinp: act.dh, dout: dp, inp: s.a, rows: rows)
        // a = attention(qkv)
        MultiHeadAttention.backward(dqkv: zeroed(act.dwide, rows * 3 * d), dout: act.dh, qkv: s.qkv, probs: s.probs,
                                    batch: act.batch, tokens: c.tokens, heads: c.heads, headDim: c.headDim)
        // qkv = qkv(h1)
        linearBackward(blk.attn.qkv, gb.attn.qkv, grads, dinp: act.dh, dout: act.dwide, inp: s.h1, rows: rows)
        // h1 = norm1(x): dx becomes d loss / d x
        LayerNorm.backward(dinp: dx, dweight: grads.of(gb.norm1.weight), dbias: grads.of(gb.norm1.bias), dout: act.dh,
                           inp: x, weight: blk.norm1.weight.floatPointer, mean: s.mean1, rstd: s.rstd1, rows: rows, cols: d)
    }

    /// Gradients of out = layer(inp): written into dinp, accumulated into layer's gradient buffers (`gradient`, the
    /// same layer in the gradient tree).
    private func linearBackward(_ layer: LinearLayer, _ gradient: LinearLayer, _ grads: Gradients<VisionTransformer>,
                                dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, rows: Int) {
        Linear.backward(dinp: dinp, dweight: grads.of(gradient.weight), dbias: grads.of(gradient.bias), dout: dout, inp: inp,
                        weight: layer.weight.floatPointer, rows: rows, inFeatures: layer.inFeatures, outFeatures: layer.outFeatures,
                        overwritingInput: true)
    }

    private func zeroed(_ buffer: UnsafeMutablePointer<Float>, _ count: Int) -> UnsafeMutablePointer<Float> {
        buffer.update(repeating: 0, count: count)
        return buffer
    }

    /// The gradient reaching a residual branch y = gamma ⊙ kept: gamma ⊙ dout in `scratch`
    /// (dgamma += Σ dout ⊙ kept), or dout itself without LayerScale.
    private func scaledBranchGradient(_ dout: UnsafePointer<Float>, gamma: Tensor?, kept: UnsafePointer<Float>,
                                      dgamma: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>,
                                      rows: Int, cols: Int) -> UnsafePointer<Float> {
        guard let gamma else { return dout }
        TesseraCore.LayerScale.backward(dinp: zeroed(scratch, rows * cols), dgamma: dgamma, dout: dout, inp: kept,
                                        gamma: gamma.floatPointer, rows: rows, cols: cols)
        return UnsafePointer(scratch)
    }
}
