/// Which embedding is *the* slide embedding (`slide_embed`).
public enum SlidePool: String, CaseIterable, Sendable {
    /// `encoder_out_embed`: the CLS token of the default path. The CLS token was
    /// never trained in pretraining, so this is rarely what you want.
    case cls
    /// `global_pool_embed`: norm(mean of the non-CLS tokens). The default.
    case mean
}
