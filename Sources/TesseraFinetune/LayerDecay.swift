import Foundation
import TesseraTrain

/// Upstream's optimizer groups for fine-tuning (`param_groups_lrd` and `get_layer_id`, after
/// BEiT), quirks included (docs/models.md §6):
/// - layer ids: a name containing `cls_token` or `pos_embed` → 0; `slide_encoder.encoder.layers.i.*`
///   → i + 1; everything else → depth + 1, `slide_encoder.patch_embed.*` included (upstream
///   tests `startswith('patch_embed')`, which never matches under the `slide_encoder.` prefix);
/// - lr scale = layerDecay^(depth + 1 − id), so the top layer gets layerDecay, not 1;
/// - weight decay for every tensor of rank ≥ 2 (the CLS token decays; biases and LayerNorms do not).
public enum LayerDecay {
    /// The layer id of parameter `name` in a slide encoder of `depth` layers.
    public static func layerID(_ name: String, depth: Int) -> Int {
        if name.contains("cls_token") || name.contains("pos_embed") { return 0 }
        return layerIndex(name).map { $0 + 1 } ?? depth + 1
    }

    /// i for a parameter of `slide_encoder.encoder.layers.i`.
    static func layerIndex(_ name: String) -> Int? {
        let layers = ClassificationHead.encoderPrefix + ".encoder.layers."
        return name.hasPrefix(layers) ? Int(name.dropFirst(layers.count).prefix { $0 != "." }) : nil
    }

    /// Sets every parameter's lr scale and decay group (`layerDecay` nil: every scale 1, as with
    /// upstream's `--lr_scheduler fixed`, where the group lrs are never set).
    public static func apply(to parameters: ParameterSet, depth: Int, layerDecay: Double?) {
        for p in parameters.parameters {
            p.decays = p.shape.count >= 2
            p.lrScale = layerDecay.map { pow($0, Double(depth + 1 - layerID(p.name, depth: depth))) } ?? 1
        }
    }

    /// Freezes what upstream's optimizer never steps: parameters the loss does not reach
    /// (`encoder.layer_norm`, the layers above the highest feature layer; torch leaves their
    /// gradient None and AdamW skips them, weight decay included), and with `freezeEncoder` the
    /// whole slide encoder.
    public static func freezeUnreached(_ parameters: ParameterSet, featLayers: [Int], freezeEncoder: Bool) {
        let encoder = ClassificationHead.encoderPrefix + ".", top = featLayers.max() ?? 0
        for p in parameters.parameters where p.name.hasPrefix(encoder) {
            // layer i's output is state i + 1: the features need layers 0..<top only
            let unreached = p.name.hasPrefix(encoder + "encoder.layer_norm.") || (layerIndex(p.name).map { $0 >= top } ?? false)
            if freezeEncoder || unreached { p.isTrainable = false }
        }
    }
}
