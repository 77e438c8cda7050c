import TesseraCore
import TesseraModels

extension VisionTransformer.Config {
    /// timm's parameter names and shapes for this architecture, in timm's order.
    public var parameterShapes: [(name: String, shape: [Int])] {
        let d = embedDim, p = patchSize
        var list: [(String, [Int])] = [("cls_token", [1, 1, d]), ("pos_embed", [1, tokens, d]),
                                       ("patch_embed.proj.weight", [d, inChannels, p, p]), ("patch_embed.proj.bias", [d])]
        for i in 0..<depth {
            let b = "blocks.\(i)."
            list += [(b + "norm1.weight", [d]), (b + "norm1.bias", [d]),
                     (b + "attn.qkv.weight", [3 * d, d]), (b + "attn.qkv.bias", [3 * d]),
                     (b + "attn.proj.weight", [d, d]), (b + "attn.proj.bias", [d])]
            if layerScale { list.append((b + "ls1.gamma", [d])) }
            list += [(b + "norm2.weight", [d]), (b + "norm2.bias", [d]),
                     (b + "mlp.fc1.weight", [mlpHidden, d]), (b + "mlp.fc1.bias", [mlpHidden]),
                     (b + "mlp.fc2.weight", [d, mlpGated]), (b + "mlp.fc2.bias", [d])]
            if layerScale { list.append((b + "ls2.gamma", [d])) }
        }
        return list + [("norm.weight", [d]), ("norm.bias", [d])]
    }
}

extension ParameterSet {
    /// A freshly initialised student of architecture `config`, as timm initialises it
    /// (see `TimmInitialization.vit`), from `seed`. LayerScale starts at `initValues`.
    public convenience init(freshViT config: VisionTransformer.Config, seed: UInt64, initValues: Float = 1e-5) {
        self.init()
        for (name, shape) in config.parameterShapes { add(name, Tensor(zeros: shape)) }
        var rng = RandomGenerator(seed: seed)
        TimmInitialization.vit(self, rng: &rng, initValues: initValues, swiGLU: config.mlp == .swiGLUPacked)
    }
}
