/// Fresh weights the way timm's `VisionTransformer.init_weights` (mode '') leaves them,
/// drawn from a seeded `RandomGenerator` (the values differ from torch's generator, the
/// distributions do not):
/// - `pos_embed`: trunc_normal(std 0.02, bounds ±2); `cls_token` / `reg_token`: normal(std 1e-6);
/// - Linear weights (`*.weight`, rank 2): trunc_normal(std 0.02); their biases 0;
/// - `patch_embed.proj` (Conv2d, torch's default reset): weight and bias uniform(±1/sqrt(fan_in));
/// - LayerNorm weights 1, biases 0; LayerScale `*.gamma` = `initValues`;
/// - SwiGLUPacked `mlp.fc1` (timm `GluMlp.init_weights`, applied after the Linear init):
///   the second (gate-value) half of the rows normal(std 1e-6), its bias 1.
public enum TimmInitialization {
    public static func vit(_ parameters: ParameterSet, rng: inout RandomGenerator,
                           initValues: Float? = nil, swiGLU: Bool = false) {
        for p in parameters.parameters {
            let x = p.data, n = p.count, name = p.name
            func fill(_ f: (inout RandomGenerator) -> Double) { for i in 0..<n { x[i] = Float(f(&rng)) } }
            switch name {
            case "pos_embed":
                fill { $0.truncatedNormal(std: 0.02) }
            case "cls_token", "reg_token":
                fill { 1e-6 * $0.normal() }
            case "patch_embed.proj.weight", "patch_embed.proj.bias":
                let fanIn = parameters["patch_embed.proj.weight"].map { $0.count / $0.shape[0] } ?? 1
                let bound = 1 / Double(fanIn).squareRoot()
                fill { (2 * $0.uniform() - 1) * bound }
            default:
                if name.hasSuffix(".gamma") {
                    x.update(repeating: initValues ?? 1, count: n)
                } else if p.shape.count >= 2 {
                    fill { $0.truncatedNormal(std: 0.02) }
                    if swiGLU && name.hasSuffix("mlp.fc1.weight") {
                        for i in (n / 2)..<n { x[i] = Float(1e-6 * rng.normal()) }
                    }
                } else if name.hasSuffix(".bias") {
                    x.update(repeating: 0, count: n)
                    if swiGLU && name.hasSuffix("mlp.fc1.bias") { (x + n / 2).update(repeating: 1, count: n - n / 2) }
                } else {
                    x.update(repeating: 1, count: n)  // LayerNorm weight
                }
            }
        }
    }
}
