/// What the engine writes for a bundle, beside the metadata: the manifest's `outputs` names.
public enum BundleOutput: String, Sendable, Equatable {
    /// [N, D] of the tile encoder: every bundle has it.
    case tileEmbeds = "tile_embeds"
    /// The slide encoder's outputs; needs a slide encoder.
    case slideEmbed = "slide_embed"
    /// The teacher-space head's [N, D_t]; needs a teacher head.
    case teacherTileEmbeds = "teacher_tile_embeds"

    static let all: [BundleOutput] = [.tileEmbeds, .slideEmbed, .teacherTileEmbeds]
}
