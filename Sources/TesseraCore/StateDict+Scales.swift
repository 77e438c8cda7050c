extension StateDict {
    /// The key of the f32 scales [rows] of the int8 matrix `name` [rows, cols]
    /// (symmetric, per output channel: value = q * scale[row]). Bundles store them
    /// under the same name, so a bundle's tensors are a state dict as they are.
    public static func scalesName(of name: String) -> String { name + ".scales" }
}
