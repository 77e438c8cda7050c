import TesseraCore
import TesseraModels

extension SlideEncoder {
    /// The weights of the training graph: the live buffers (and gradients) of `parameters`,
    /// found by checkpoint key and checked against the model's shapes.
    struct TrainingWeights {
        struct LayerNormWeights { let weight, bias: Parameter }
        struct LinearWeights { let weight, bias: Parameter }
        struct Layer {
            let selfAttnLayerNorm, innerAttnLn, finalLayerNorm, ffnLayernorm: LayerNormWeights
            let q, k, v, out, fc1, fc2: LinearWeights
        }
        let proj: LinearWeights
        let clsToken: Parameter
        let layers: [Layer]
        let encoderLayerNorm, norm: LayerNormWeights

        init(_ p: ParameterSet, config c: SlideEncoderConfig) throws {
            let d = c.embedDim
            func ln(_ name: String, _ n: Int) throws -> LayerNormWeights {
                LayerNormWeights(weight: try p.require(name + ".weight", shape: [n]), bias: try p.require(name + ".bias", shape: [n]))
            }
            func linear(_ name: String, _ outF: Int, _ inF: Int) throws -> LinearWeights {
                LinearWeights(weight: try p.require(name + ".weight", shape: [outF, inF]), bias: try p.require(name + ".bias", shape: [outF]))
            }
            proj = try linear("patch_embed.proj", d, c.inChans)
            clsToken = try p.require("cls_token", shape: [1, 1, d])
            layers = try (0..<c.depth).map { i in
                let l = "encoder.layers.\(i)."
                return Layer(selfAttnLayerNorm: try ln(l + "self_attn_layer_norm", d), innerAttnLn: try ln(l + "self_attn.inner_attn_ln", d),
                             finalLayerNorm: try ln(l + "final_layer_norm", d), ffnLayernorm: try ln(l + "ffn.ffn_layernorm", c.ffnDim),
                             q: try linear(l + "self_attn.q_proj", d, d), k: try linear(l + "self_attn.k_proj", d, d),
                             v: try linear(l + "self_attn.v_proj", d, d), out: try linear(l + "self_attn.out_proj", d, d),
                             fc1: try linear(l + "ffn.fc1", c.ffnDim, d), fc2: try linear(l + "ffn.fc2", d, c.ffnDim))
            }
            encoderLayerNorm = try ln("encoder.layer_norm", d)
            norm = try ln("norm", d)
        }
    }

    /// One layer's saved activations (N tokens, D, F = ffn width): a = self_attn_layer_norm(x),
    /// q, k, v, o = dilated attention, o2 = inner_attn_ln(o), mid = x + out_proj(o2),
    /// f = final_layer_norm(mid), h = fc1(f), g = gelu(h), g2 = ffn_layernorm(g); with the
    /// mean/rstd of each LayerNorm.
    final class LayerCache {
        let a, q, k, v, o, o2, mid, f, h, g, g2: UnsafeMutablePointer<Float>
        let stats: [UnsafeMutablePointer<Float>]  // mean, rstd of: a, o2, f, g2

        /// The sizes of a ... g2, then of the eight statistics.
        static func sizes(tokens n: Int, dim d: Int, ffn: Int) -> [Int] {
            Array(repeating: n * d, count: 8) + Array(repeating: n * ffn, count: 3) + Array(repeating: n, count: 8)
        }

        init(tokens n: Int, dim d: Int, ffn: Int, arena: Arena) {
            let b = arena.take(Self.sizes(tokens: n, dim: d, ffn: ffn))
            (a, q, k, v, o, o2, mid, f) = (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7])
            (h, g, g2) = (b[8], b[9], b[10])
            stats = Array(b[11...])
        }
    }

    /// The activations of one slide (N = tiles + 1 tokens), planned up front: the layer inputs
    /// (depth + 1 states), the final states e = encoder.layer_norm(x_L), the pooled mean, the
    /// statistics of every `norm` row, the layer caches (one per layer, or one shared when
    /// `recompute` re-runs each layer's forward during the backward pass), and backward scratch.
    public final class TrainingActivations: @unchecked Sendable {
        public let tiles: Int
        public let recompute: Bool
        let arena: Arena
        let states: [UnsafeMutablePointer<Float>]
        let encoded, encodedStats, pooled, normStats: UnsafeMutablePointer<Float>
        let caches: [LayerCache]
        let dx, dn, dq, dk, dv, dwide, dwide2: UnsafeMutablePointer<Float>

        public init(config c: SlideEncoderConfig, tiles: Int, recompute: Bool = false) {
            self.tiles = tiles
            self.recompute = recompute
            let n = tiles + 1, d = c.embedDim, f = c.ffnDim
            let cacheCount = recompute ? 1 : c.depth
            // states (depth + 1), encoded, encodedStats, pooled, normStats, dx, dn, dq, dk, dv, dwide, dwide2
            let fixed = Array(repeating: n * d, count: c.depth + 2) + [2 * n, d, 2 * (c.depth + 3)]
                + Array(repeating: n * d, count: 5) + [n * f, n * f]
            let cacheSizes = LayerCache.sizes(tokens: n, dim: d, ffn: f)
            let arena = Arena(floats: Arena.size(fixed) + cacheCount * Arena.size(cacheSizes))
            self.arena = arena
            let b = arena.take(fixed), s = c.depth + 1
            states = Array(b[..<s])
            (encoded, encodedStats, pooled, normStats) = (b[s], b[s + 1], b[s + 2], b[s + 3])
            (dx, dn, dq, dk, dv, dwide, dwide2) = (b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10])
            caches = (0..<cacheCount).map { _ in LayerCache(tokens: n, dim: d, ffn: f, arena: arena) }
        }

        public var byteCount: Int { arena.byteCount }
        func cache(_ layer: Int) -> LayerCache { caches[recompute ? 0 : layer] }
    }

    /// Every slide-level output of the reference's three forward passes, from one pass:
    /// `layer_{i}_embed` (i = 0...L), `encoder_out_embed`, `global_pool_embed` (see `SlideEmbeddings`).
    /// The weights are `parameters`' live buffers; `activations` keeps what `backward` needs.
    public func forward(training tileEmbeds: Tensor, cells: [SlideGrid.Cell], parameters: ParameterSet,
                        activations act: TrainingActivations) throws -> SlideEmbeddings {
        let c = config, d = c.embedDim, n = act.tiles + 1
        guard tileEmbeds.shape == [act.tiles, c.inChans], cells.count == act.tiles else {
            throw SlideEncoderError.badInput("tile_embeds \(tileEmbeds.shape) and \(cells.count) cells for activations planned for \(act.tiles) tiles of \(c.inChans)")
        }
        let w = try TrainingWeights(parameters, config: c)
        let x0 = act.states[0]
        x0.update(from: w.clsToken.data, count: d)
        try tileEmbeds.float32().withFloats { tiles in
            Linear.forward(out: x0 + d, inp: tiles.baseAddress!, weight: w.proj.weight.data, bias: w.proj.bias.data,
                           rows: act.tiles, inFeatures: c.inChans, outFeatures: d)
        }
        let positions = PositionEncoding(dim: d)
        Parallel.forEach(act.tiles) { i in positions.add(column: cells[i].column, row: cells[i].row, to: x0 + (i + 1) * d) }
        for l in 0..<c.depth { layerForward(l, weights: w, activations: act) }

        let norm = w.norm, stats = act.normStats
        func normRow(_ row: UnsafePointer<Float>, _ slot: Int) -> [Float] {
            var out = [Float](repeating: 0, count: d)
            LayerNorm.forward(out: &out, mean: stats + 2 * slot, rstd: stats + 2 * slot + 1, inp: row, weight: norm.weight.data,
                              bias: norm.bias.data, rows: 1, cols: d, eps: SlideEncoder.normEps)
            return out
        }
        let layerEmbeds = (0...c.depth).map { normRow(act.states[$0], $0) }
        LayerNorm.forward(out: act.encoded, mean: act.encodedStats, rstd: act.encodedStats + n, inp: act.states[c.depth],
                          weight: w.encoderLayerNorm.weight.data, bias: w.encoderLayerNorm.bias.data, rows: n, cols: d,
                          eps: SlideEncoder.encoderEps)
        let encoderOut = normRow(act.encoded, c.depth + 1)
        TokenPool.forward(out: act.pooled, inp: act.encoded, mode: .mean, batch: 1, tokens: n, dim: d)
        let globalPool = normRow(act.pooled, c.depth + 2)
        return SlideEmbeddings(layerEmbeds: layerEmbeds, encoderOutEmbed: encoderOut, globalPoolEmbed: globalPool)
    }

    /// Layer l from states[l] to states[l + 1], filling its cache (MODELS.md §3).
    func layerForward(_ l: Int, weights w: TrainingWeights, activations act: TrainingActivations) {
        let c = config, d = c.embedDim, f = c.ffnDim, n = act.tiles + 1
        let s = act.cache(l), lw = w.layers[l], x = act.states[l], out = act.states[l + 1]
        func ln(_ y: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ p: TrainingWeights.LayerNormWeights,
                _ slot: Int, cols: Int) {
            LayerNorm.forward(out: y, mean: s.stats[2 * slot], rstd: s.stats[2 * slot + 1], inp: inp, weight: p.weight.data,
                              bias: p.bias.data, rows: n, cols: cols, eps: SlideEncoder.encoderEps)
        }
        func linear(_ y: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ p: TrainingWeights.LinearWeights) {
            Linear.forward(out: y, inp: inp, weight: p.weight.data, bias: p.bias.data, rows: n,
                           inFeatures: p.weight.shape[1], outFeatures: p.weight.shape[0])
        }
        ln(s.a, x, lw.selfAttnLayerNorm, 0, cols: d)
        linear(s.q, s.a, lw.q); linear(s.k, s.a, lw.k); linear(s.v, s.a, lw.v)
        DilatedAttention.forward(out: s.o, q: s.q, k: s.k, v: s.v, tokens: n, heads: c.heads, headDim: d / c.heads,
                                 branches: c.branches)
        ln(s.o2, s.o, lw.innerAttnLn, 1, cols: d)
        linear(s.mid, s.o2, lw.out)
        Residual.forward(x: s.mid, inp: x, scale: nil, rows: n, cols: d)
        ln(s.f, s.mid, lw.finalLayerNorm, 2, cols: d)
        linear(s.h, s.f, lw.fc1)
        GELU.forward(out: s.g, inp: s.h, count: n * f)
        ln(s.g2, s.g, lw.ffnLayernorm, 3, cols: f)
        linear(out, s.g2, lw.fc2)
        Residual.forward(x: out, inp: s.mid, scale: nil, rows: n, cols: d)
    }
}
