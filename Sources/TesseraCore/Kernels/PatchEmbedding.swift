/// The patch embedding of a ViT, Conv2d(channels, dim, kernel = stride = patch), as a GEMM
/// over patches: with stride equal to the kernel the patches do not overlap, so im2col is
/// a permutation of the image.
public enum PatchEmbedding {
    /// cols[batch * gh * gw, channels * patch * patch]: row (b, py, px), column (c, ky, kx)
    /// = image[b, c, py * patch + ky, px * patch + kx] for image[batch, channels, height, width],
    /// gh = height / patch, gw = width / patch (the order of the conv weight [dim, channels, patch, patch]).
    public static func im2col(cols: UnsafeMutablePointer<Float>, image: UnsafePointer<Float>,
                              batch: Int, channels: Int, height: Int, width: Int, patch: Int) {
        forEachPatchRow(batch: batch, channels: channels, height: height, width: width, patch: patch) { imageAt, colsAt in
            // An inline loop, not `update(from:count:)`: a memmove call per 16 floats cost more than the copy.
            let dst = cols + colsAt, src = image + imageAt
            for kx in 0..<patch { dst[kx] = src[kx] }
        }
    }

    /// image[batch, channels, height, width] += the patch rows of cols (the adjoint of `im2col`).
    public static func col2im(image: UnsafeMutablePointer<Float>, cols: UnsafePointer<Float>,
                              batch: Int, channels: Int, height: Int, width: Int, patch: Int) {
        forEachPatchRow(batch: batch, channels: channels, height: height, width: width, patch: patch) { imageAt, colsAt in
            let dst = image + imageAt, src = cols + colsAt
            for kx in 0..<patch { dst[kx] += src[kx] }
        }
    }

    /// body(imageAt, colsAt) for every run of `patch` floats that `im2col` moves: the image
    /// row segment at offset imageAt and its place colsAt in cols. Threads take disjoint
    /// rows of patches, so both directions write without conflicts.
    @inline(__always)
    private static func forEachPatchRow(batch: Int, channels: Int, height: Int, width: Int, patch: Int,
                                        _ body: (_ imageAt: Int, _ colsAt: Int) -> Void) {
        let gh = height / patch, gw = width / patch, k = channels * patch * patch
        Parallel.chunks(batch * gh) { range in
            for bpy in range {
                let b = bpy / gh, py = bpy % gh
                for px in 0..<gw {
                    for c in 0..<channels {
                        for ky in 0..<patch {
                            body(((b * channels + c) * height + py * patch + ky) * width + px * patch,
                                 (bpy * gw + px) * k + (c * patch + ky) * patch)
                        }
                    }
                }
            }
        }
    }

    /// Gradients of the patch embedding out = im2col(image) · weight^T + bias (the Linear over
    /// patches that the ViT runs), accumulated: dweight += dout^T cols, dbias += column sums of dout
    /// (the Linear over patches), dimage += col2im(dout · weight) when wanted. `scratch` holds
    /// [batch * gh * gw, channels * patch * patch] floats and is needed only for dimage.
    public static func backward(dimage: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>?,
                                dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
                                dout: UnsafePointer<Float>, cols: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                batch: Int, channels: Int, height: Int, width: Int, patch: Int, dim: Int) {
        let rows = batch * (height / patch) * (width / patch), k = channels * patch * patch
        let dcols = dimage == nil ? nil : scratch
        dcols?.update(repeating: 0, count: rows * k)
        Linear.backward(dinp: dcols, dweight: dweight, dbias: dbias, dout: dout, inp: cols, weight: weight,
                        rows: rows, inFeatures: k, outFeatures: dim)
        if let dimage, let dcols {
            col2im(image: dimage, cols: dcols, batch: batch, channels: channels, height: height, width: width, patch: patch)
        }
    }
}
