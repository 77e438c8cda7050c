extension VisionTransformer {
    /// The kernel the blocks' Linear layers run on ("f32", "f16" or "int8-" and the CPU's
    /// int8 path): every block's layers come in the precision of one bundle or state dict,
    /// so the first MLP's tells them all (the patch embedding always stays f32).
    public var linearKernel: String { blocks.first?.mlp.fc1.kernel ?? "f32" }
}
