import TesseraCore

/// Everything the slide encoder produces for one slide, each [D].
public struct SlideEmbeddings: Sendable {
    /// `layer_{i}_embed`, i = 0...L: norm(state i)[CLS], state 0 = the embeddings
    /// (the all-layer path of the prov-gigapath pipeline; no `encoder.layer_norm`).
    public let layerEmbeds: [[Float]]
    /// norm(mean(state i[1:])), i = 0...L: each state's tile tokens pooled as the fine-tuning
    /// head pools them with `global_pool` (no `encoder.layer_norm`; not written to outputs).
    public let layerMeanEmbeds: [[Float]]
    /// `encoder_out_embed`: norm(encoder.layer_norm(x))[CLS], the default path.
    public let encoderOutEmbed: [Float]
    /// `global_pool_embed`: norm(mean(encoder.layer_norm(x)[1:])).
    public let globalPoolEmbed: [Float]

    public init(layerEmbeds: [[Float]], layerMeanEmbeds: [[Float]], encoderOutEmbed: [Float], globalPoolEmbed: [Float]) {
        self.layerEmbeds = layerEmbeds
        self.layerMeanEmbeds = layerMeanEmbeds
        self.encoderOutEmbed = encoderOutEmbed
        self.globalPoolEmbed = globalPoolEmbed
    }

    /// `last_layer_embed` = `layer_{L}_embed`, what the prov-gigapath pipeline returns.
    public var lastLayerEmbed: [Float] { layerEmbeds[layerEmbeds.count - 1] }

    public func slideEmbed(pool: SlidePool) -> [Float] {
        switch pool {
        case .cls: return encoderOutEmbed
        case .mean: return globalPoolEmbed
        }
    }

    /// Every output under its name: layer_{i}_embed, last_layer_embed,
    /// encoder_out_embed, global_pool_embed, slide_embed.
    public func named(pool: SlidePool) -> [(name: String, values: [Float])] {
        layerEmbeds.enumerated().map { ("layer_\($0.offset)_embed", $0.element) } + [
            ("last_layer_embed", lastLayerEmbed),
            ("encoder_out_embed", encoderOutEmbed),
            ("global_pool_embed", globalPoolEmbed),
            ("slide_embed", slideEmbed(pool: pool)),
        ]
    }

    /// `named(pool:)` as f32 tensors of shape [D], added to `dict`.
    public func add(to dict: inout StateDict, pool: SlidePool) {
        for (name, values) in named(pool: pool) { dict.set(name, Tensor(shape: [values.count], floats: values)) }
    }
}

/// Which token pooling makes a slide's vector: for *the* slide embedding (`slide_embed`), and for
/// each feature layer of a fine-tuned classifier (`SlideClassifier.Head.pooling`).
public enum SlidePool: String, CaseIterable, Sendable {
    /// The class token (for `slide_embed`: `encoder_out_embed`, the default path's; the CLS token
    /// was never trained in pretraining, so this is rarely what you want there).
    case cls
    /// norm(mean of the non-CLS tokens) (for `slide_embed`: `global_pool_embed`, the default).
    case mean
}
