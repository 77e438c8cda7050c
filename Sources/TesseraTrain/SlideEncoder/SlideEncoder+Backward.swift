import TesseraCore
import TesseraModels

extension SlideEncoder {
    /// The backward pass of the last `forward(training:...)`: accumulates d loss / d parameter
    /// into the gradient buffers of `parameters` (frozen ones skipped) and, when given,
    /// d loss / d tile_embeds [tiles, in_chans] into `tileGradient`, from the gradients of
    /// the outputs: `layerEmbedGradients[i]` = d loss / d layer_{i}_embed, `encoderOutGradient`,
    /// `globalPoolGradient` (each [D]; absent ones are zero). The dilated-attention merge
    /// weights carry no gradient, as in the reference.
    public func backward(activations act: TrainingActivations, layerEmbedGradients: [Int: [Float]] = [:],
                         encoderOutGradient: [Float]? = nil, globalPoolGradient: [Float]? = nil,
                         parameters: ParameterSet, tileEmbeds: Tensor,
                         tileGradient: UnsafeMutablePointer<Float>? = nil) throws {
        let c = config, d = c.embedDim, n = act.tiles + 1
        let w = try TrainingWeights(parameters, config: c)
        let dx = act.dx, stats = act.normStats
        /// d row += norm backward of dout at the `norm` row saved in `slot`.
        func normBackward(_ dout: [Float], row: UnsafePointer<Float>, into drow: UnsafeMutablePointer<Float>, slot: Int) {
            LayerNorm.backward(dinp: drow, dweight: w.norm.weight.grad, dbias: w.norm.bias.grad, dout: dout, inp: row,
                               weight: w.norm.weight.data, mean: stats + 2 * slot, rstd: stats + 2 * slot + 1, rows: 1, cols: d)
        }
        dx.update(repeating: 0, count: n * d)
        if encoderOutGradient != nil || globalPoolGradient != nil {
            // e = encoder.layer_norm(x_L); encoder_out = norm(e[0]); global_pool = norm(mean(e[1:]))
            let de = act.dn
            de.update(repeating: 0, count: n * d)
            if let g = encoderOutGradient { normBackward(g, row: act.encoded, into: de, slot: c.depth + 1) }
            if let g = globalPoolGradient {
                var dpooled = [Float](repeating: 0, count: d)
                dpooled.withUnsafeMutableBufferPointer { normBackward(g, row: act.pooled, into: $0.baseAddress!, slot: c.depth + 2) }
                TokenPool.backward(dinp: de, dout: dpooled, mode: .mean, batch: 1, tokens: n, dim: d)
            }
            LayerNorm.backward(dinp: dx, dweight: w.encoderLayerNorm.weight.grad, dbias: w.encoderLayerNorm.bias.grad, dout: de,
                               inp: act.states[c.depth], weight: w.encoderLayerNorm.weight.data, mean: act.encodedStats,
                               rstd: act.encodedStats + n, rows: n, cols: d)
        }
        for l in stride(from: c.depth, through: 0, by: -1) {
            // layer_{l}_embed = norm(state_l[0])
            if let g = layerEmbedGradients[l] { normBackward(g, row: act.states[l], into: dx, slot: l) }
            guard l > 0 else { break }
            if act.recompute { layerForward(l - 1, weights: w, activations: act) }
            layerBackward(l - 1, weights: w, activations: act)
        }
        // x0 = [cls_token | proj(tile_embeds) + pos]
        if let dcls = w.clsToken.grad { Residual.backward(dinp: dcls, dout: dx, count: d) }
        try tileEmbeds.float32().withFloats { tiles in
            Linear.backward(dinp: tileGradient, dweight: w.proj.weight.grad, dbias: w.proj.bias.grad, dout: dx + d,
                            inp: tiles.baseAddress!, weight: w.proj.weight.data, rows: act.tiles,
                            inFeatures: c.inChans, outFeatures: d)
        }
    }

    /// Layer l backward: act.dx holds d loss / d states[l + 1] on entry and d loss / d states[l] on return.
    func layerBackward(_ l: Int, weights w: TrainingWeights, activations act: TrainingActivations) {
        let c = config, d = c.embedDim, f = c.ffnDim, n = act.tiles + 1
        let s = act.cache(l), lw = w.layers[l], x = act.states[l], dx = act.dx
        func linear(_ p: TrainingWeights.LinearWeights, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                    inp: UnsafePointer<Float>) {
            Linear.backward(dinp: dinp, dweight: p.weight.grad, dbias: p.bias.grad, dout: dout, inp: inp, weight: p.weight.data,
                            rows: n, inFeatures: p.weight.shape[1], outFeatures: p.weight.shape[0])
        }
        func ln(_ p: TrainingWeights.LayerNormWeights, dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
                inp: UnsafePointer<Float>, slot: Int, cols: Int) {
            LayerNorm.backward(dinp: dinp, dweight: p.weight.grad, dbias: p.bias.grad, dout: dout, inp: inp, weight: p.weight.data,
                               mean: s.stats[2 * slot], rstd: s.stats[2 * slot + 1], rows: n, cols: cols)
        }
        func zero(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> UnsafeMutablePointer<Float> {
            p.update(repeating: 0, count: count)
            return p
        }
        // out = mid + fc2(g2);  g2 = ffn_layernorm(g);  g = gelu(h);  h = fc1(f)
        linear(lw.fc2, dinp: zero(act.dwide, n * f), dout: dx, inp: s.g2)
        ln(lw.ffnLayernorm, dinp: zero(act.dwide2, n * f), dout: act.dwide, inp: s.g, slot: 3, cols: f)
        GELU.backward(dinp: zero(act.dwide, n * f), inp: s.h, dout: act.dwide2, count: n * f)
        linear(lw.fc1, dinp: zero(act.dn, n * d), dout: act.dwide, inp: s.f)
        // f = final_layer_norm(mid): dx becomes d loss / d mid
        ln(lw.finalLayerNorm, dinp: dx, dout: act.dn, inp: s.mid, slot: 2, cols: d)
        // mid = x + out_proj(o2);  o2 = inner_attn_ln(o)
        linear(lw.out, dinp: zero(act.dq, n * d), dout: dx, inp: s.o2)
        ln(lw.innerAttnLn, dinp: zero(act.dn, n * d), dout: act.dq, inp: s.o, slot: 1, cols: d)
        // o = dilated_attention(q, k, v) (merge weights detached)
        // (the key bias's gradient comes from the kernel's dkSum, see there)
        DilatedAttention.backward(dq: zero(act.dq, n * d), dk: zero(act.dk, n * d), dv: zero(act.dv, n * d),
                                  dkSum: lw.k.bias.grad, dout: act.dn,
                                  q: s.q, k: s.k, v: s.v, tokens: n, heads: c.heads, headDim: d / c.heads, branches: c.branches)
        // q, k, v = *_proj(a);  a = self_attn_layer_norm(x): dx becomes d loss / d x
        let da = zero(act.dn, n * d)
        linear(lw.q, dinp: da, dout: act.dq, inp: s.a)
        Linear.backward(dinp: da, dweight: lw.k.weight.grad, dbias: nil, dout: act.dk, inp: s.a, weight: lw.k.weight.data,
                        rows: n, inFeatures: d, outFeatures: d)
        linear(lw.v, dinp: da, dout: act.dv, inp: s.a)
        ln(lw.selfAttnLayerNorm, dinp: dx, dout: da, inp: x, slot: 0, cols: d)
    }
}
