import TesseraCore

extension SlideEncoder {
    /// The attention the class token pays each tile in the last layer, averaged over the heads
    /// and the dilated branches as the layer merges them (`DilatedAttention.classTokenWeights`):
    /// where the slide's prediction looks. `input` [tokens, D] is the last layer's input
    /// (`forward(…, lastLayerInput:)`); returns [tokens − 1], one weight per tile in the tiles'
    /// order (the weights on the class token itself and on padding are left out).
    public func classTokenAttention(lastLayerInput input: UnsafePointer<Float>, tokens: Int) -> [Float] {
        let layer = encoder.layers[config.depth - 1], d = config.embedDim
        let a = UnsafeMutablePointer<Float>.allocate(capacity: tokens * d)
        let k = UnsafeMutablePointer<Float>.allocate(capacity: tokens * d)
        var q0 = [Float](repeating: 0, count: d)
        defer { a.deallocate(); k.deallocate() }
        layer.selfAttnLayerNorm(out: a, inp: input, rows: tokens)
        layer.selfAttn.kProj(out: k, inp: a, rows: tokens)
        q0.withUnsafeMutableBufferPointer { layer.selfAttn.qProj(out: $0.baseAddress!, inp: a, rows: 1) }
        let weights = DilatedAttention.classTokenWeights(q0: q0, k: k, tokens: tokens, heads: config.heads,
                                                         headDim: d / config.heads, branches: config.branches)
        return weights.dropFirst().map { Float($0) }
    }
}
