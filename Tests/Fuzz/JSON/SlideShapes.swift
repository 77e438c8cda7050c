import TesseraCore

/// The tensors a slide encoder's configuration is inferred from (widths, depth, FFN size),
/// as small as the model allows: in_chans 8, width 8, one layer, FFN 32.
enum SlideShapes {
    static let weights: StateDict = {
        var dict = StateDict()
        dict.set("patch_embed.proj.weight", Tensor(zeros: [8, 8]))
        dict.set("encoder.layers.0.self_attn.q_proj.weight", Tensor(zeros: [8, 8]))
        dict.set("encoder.layers.0.ffn.fc1.weight", Tensor(zeros: [32, 8]))
        return dict
    }()
}
