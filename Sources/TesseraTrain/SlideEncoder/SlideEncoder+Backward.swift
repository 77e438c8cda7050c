import TesseraCore
import TesseraModels

extension SlideEncoder {
    /// The backward pass of the last training forward pass: accumulates d loss / d parameter
    /// into `gradients` (this model's tree over the gradient buffers, `gradients(_:)`; frozen
    /// parameters skipped) and, when given,
    /// d loss / d tile_embeds [tiles, in_chans] into `tileGradient`, from the gradients of
    /// the outputs: `layerEmbedGradients[i]` = d loss / d layer_{i}_embed, `layerMeanGradients[i]`
    /// = d loss / d layerMeanEmbeds[i], `encoderOutGradient`, `globalPoolGradient` (each [D];
    /// absent ones are zero). The dilated-attention merge weights carry no gradient, as in the
    /// reference.
    public func backward(activations act: TrainingActivations, layerEmbedGradients: [Int: [Float]] = [:],
                         layerMeanGradients: [Int: [Float]] = [:], encoderOutGradient: [Float]? = nil, globalPoolGradient: [Float]? = nil,
                         gradients grads: Gradients<SlideEncoder>, tileEmbeds: Tensor,
                         tileGradient: UnsafeMutablePointer<Float>? = nil) {
        let g = grads.tree, saved = act.saved
        let c = config, d = c.embedDim, n = act.tiles + 1
        let dx = act.dx
        /// d row += `norm`'s backward of dout at `row`, whose statistics are in `slot`.
        func normBackward(_ dout: [Float], row: UnsafePointer<Float>, into drow: UnsafeMutablePointer<Float>, slot: Int) {
            LayerNorm.backward(dinp: drow, dweight: grads.of(g.norm.weight), dbias: grads.of(g.norm.bias), dout: dout, inp: row,
                               weight: norm.weight.floatPointer, mean: saved.normMean + slot, rstd: saved.normRstd + slot,
                               rows: 1, cols: d)
        }
        dx.update(repeating: 0, count: n * d)
        if encoderOutGradient != nil || globalPoolGradient != nil {
            // e = encoder.layer_norm(x_L); encoder_out = norm(e[0]); global_pool = norm(mean(e[1:]))
            let de = zeroed(act.dn, n * d)
            if let g = encoderOutGradient { normBackward(g, row: saved.encoded, into: de, slot: c.depth + 1) }
            if let g = globalPoolGradient {
                var dpooled = [Float](repeating: 0, count: d)
                dpooled.withUnsafeMutableBufferPointer { normBackward(g, row: saved.pooled, into: $0.baseAddress!, slot: c.depth + 2) }
                TokenPool.backward(dinp: de, dout: dpooled, mode: .mean, batch: 1, tokens: n, dim: d)
            }
            let ln = encoder.layerNorm
            LayerNorm.backward(dinp: dx, dweight: grads.of(g.encoder.layerNorm.weight), dbias: grads.of(g.encoder.layerNorm.bias),
                               dout: de, inp: saved.states[c.depth], weight: ln.weight.floatPointer,
                               mean: saved.encodedMean, rstd: saved.encodedRstd, rows: n, cols: d)
        }
        for l in stride(from: c.depth, through: 0, by: -1) {
            // layer_{l}_embed = norm(state_l[0])
            if let g = layerEmbedGradients[l] { normBackward(g, row: saved.states[l], into: dx, slot: l) }
            // layerMeanEmbeds[l] = norm(mean(state_l[1:]))
            if let g = layerMeanGradients[l] {
                var dmean = [Float](repeating: 0, count: d)
                dmean.withUnsafeMutableBufferPointer {
                    normBackward(g, row: saved.layerMeans + l * d, into: $0.baseAddress!,
                                 slot: Activations.layerMeanSlot(l, depth: c.depth))
                }
                TokenPool.backward(dinp: dx, dout: dmean, mode: .mean, batch: 1, tokens: n, dim: d)
            }
            guard l > 0 else { break }
            if saved.recompute {
                saved.states[l].update(from: saved.states[l - 1], count: n * d)
                encoder.layers[l - 1].forward(saved.states[l], tokens: n, buffers: saved.layer(l - 1).buffers)
            }
            layerBackward(l - 1, activations: act, gradients: grads)
        }
        // x0 = [cls_token | proj(tile_embeds) + pos]
        if let dcls = grads.of(g.clsToken) { Residual.backward(dinp: dcls, dout: dx, count: d) }
        let tiles = tileEmbeds.float32(), proj = patchEmbed.proj
        Linear.backward(dinp: tileGradient, dweight: grads.of(g.patchEmbed.proj.weight), dbias: grads.of(g.patchEmbed.proj.bias),
                        dout: dx + d, inp: tiles.floatPointer, weight: proj.weight.floatPointer, rows: act.tiles,
                        inFeatures: c.inChans, outFeatures: d)
        withExtendedLifetime(tiles) {}
    }

    /// Layer l backward: act.dx holds d loss / d states[l + 1] on entry and d loss / d states[l] on return.
    func layerBackward(_ l: Int, activations act: TrainingActivations, gradients grads: Gradients<SlideEncoder>) {
        let c = config, d = c.embedDim, f = c.ffnDim, n = act.tiles + 1
        let s = act.saved.layer(l), layer = encoder.layers[l], gl = grads.tree.encoder.layers[l]
        let x = act.saved.states[l], dx = act.dx
        func linear(_ p: LinearLayer, _ gp: LinearLayer, dinp: UnsafeMutablePointer<Float>?, dout: UnsafePointer<Float>,
                    inp: UnsafePointer<Float>, bias: Bool = true) {
            Linear.backward(dinp: dinp, dweight: grads.of(gp.weight), dbias: bias ? grads.of(gp.bias) : nil, dout: dout, inp: inp,
                            weight: p.weight.floatPointer, rows: n, inFeatures: p.inFeatures, outFeatures: p.outFeatures)
        }
        func ln(_ p: LayerNormLayer, _ gp: LayerNormLayer, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                inp: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>) {
            LayerNorm.backward(dinp: dinp, dweight: grads.of(gp.weight), dbias: grads.of(gp.bias), dout: dout, inp: inp,
                               weight: p.weight.floatPointer, mean: mean, rstd: rstd, rows: n, cols: p.dim)
        }
        let ffn = layer.ffn, gffn = gl.ffn, attn = layer.selfAttn, gattn = gl.selfAttn
        // out = mid + fc2(g2);  g2 = ffn_layernorm(g);  g = gelu(h);  h = fc1(f)
        linear(ffn.fc2, gffn.fc2, dinp: zeroed(act.dwide, n * f), dout: dx, inp: s.g2)
        ln(ffn.ffnLayernorm, gffn.ffnLayernorm, dinp: zeroed(act.dwide2, n * f), dout: act.dwide, inp: s.g,
           mean: s.g2Mean, rstd: s.g2Rstd)
        GELU.backward(dinp: zeroed(act.dwide, n * f), inp: s.h, dout: act.dwide2, count: n * f)
        linear(ffn.fc1, gffn.fc1, dinp: zeroed(act.dn, n * d), dout: act.dwide, inp: s.f)
        // f = final_layer_norm(mid): dx becomes d loss / d mid
        ln(layer.finalLayerNorm, gl.finalLayerNorm, dinp: dx, dout: act.dn, inp: s.mid, mean: s.fMean, rstd: s.fRstd)
        // mid = x + out_proj(o2);  o2 = inner_attn_ln(o)
        linear(attn.outProj, gattn.outProj, dinp: zeroed(act.dq, n * d), dout: dx, inp: s.o2)
        ln(attn.innerAttnLn, gattn.innerAttnLn, dinp: zeroed(act.dn, n * d), dout: act.dq, inp: s.o, mean: s.o2Mean, rstd: s.o2Rstd)
        // o = dilated_attention(q, k, v) (merge weights detached; the key bias's gradient is the kernel's dkSum)
        DilatedAttention.backward(dq: zeroed(act.dq, n * d), dk: zeroed(act.dk, n * d), dv: zeroed(act.dv, n * d),
                                  dkSum: grads.of(gattn.kProj.bias), dout: act.dn, lse: s.lse,
                                  q: s.q, k: s.k, v: s.v, tokens: n, heads: c.heads, headDim: d / c.heads, branches: c.branches)
        // q, k, v = *_proj(a);  a = self_attn_layer_norm(x): dx becomes d loss / d x
        let da = zeroed(act.dn, n * d)
        linear(attn.qProj, gattn.qProj, dinp: da, dout: act.dq, inp: s.a)
        linear(attn.kProj, gattn.kProj, dinp: da, dout: act.dk, inp: s.a, bias: false)
        linear(attn.vProj, gattn.vProj, dinp: da, dout: act.dv, inp: s.a)
        ln(layer.selfAttnLayerNorm, gl.selfAttnLayerNorm, dinp: dx, dout: da, inp: x, mean: s.aMean, rstd: s.aRstd)
    }

    private func zeroed(_ buffer: UnsafeMutablePointer<Float>, _ count: Int) -> UnsafeMutablePointer<Float> {
        buffer.update(repeating: 0, count: count)
        return buffer
    }
}
