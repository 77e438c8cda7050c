/// What a teacher-space head reads. Raw values are the manifest's `TeacherHeadInput` numbers: append-only.
public enum BundleTeacherHeadInput: UInt32, Sendable {
    /// The tile encoder's output (`tile_embeds`), after its final norm.
    case tileEmbedding = 1
    /// The class token of the tile encoder's last block output, before its final norm
    /// (what a distillation's adaptor maps into the teacher's space).
    case lastHiddenCLS = 2
}
