extension VisionTransformer {
    /// Where one block's forward pass writes its intermediate values (R = batch·tokens rows,
    /// D = width, F = fc1 width, G = fc2 input width, H heads, T tokens):
    /// h1 = norm1(x) [R,D] with mean1/rstd1 [R]; qkv [R,3D]; probs [B,H,T,T]; a = attention [R,D];
    /// p = proj(a) [R,D] (LayerScale only); mid = x + ls1(p) [R,D]; h2 = norm2(mid) [R,D] with
    /// mean2/rstd2 [R]; f = fc1(h2) [R,F]; g = gate(f) [R,G]; q = fc2(g) [R,D] (LayerScale only).
    /// Inference aliases them onto a workspace's few buffers and leaves the optional ones out;
    /// training points every one at its own saved buffer.
    public struct BlockBuffers {
        public let h1, qkv, a, p, h2, f, g, q: UnsafeMutablePointer<Float>
        public let mean1, rstd1, mean2, rstd2, probs, mid: UnsafeMutablePointer<Float>?
    }
}
