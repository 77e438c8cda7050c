import TesseraCore

/// Where a run sends every block's output for its kept tiles, batch by batch, and takes them
/// back as tensors [tiles, tokens, D] for the output (`tessera embed --hidden-states` spools
/// them to files; the edge engine keeps none: a teacher-space head on the last hidden class
/// token takes what it needs of each batch and gives back no tensor).
public protocol HiddenStateSink: AnyObject {
    /// Appends `count` rows x[count, tokens, D] of block `block`.
    func append(block: Int, count: Int, _ x: UnsafePointer<Float>) throws(PipelineError)
    /// Every block's rows so far, [rows, tokens, D] per block, in block order.
    func tensors(tokens: Int, dim: Int) throws(PipelineError) -> [Tensor]
}
