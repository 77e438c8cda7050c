/// Cuts images into non-overlapping square patches (im2col for a Conv2d whose
/// stride equals its kernel size), so the patch embedding becomes one GEMM.
public enum Patchify {
    /// out[batch * gridH * gridW, channels * patch * patch] from inp[batch, channels, height, width],
    /// gridH = height / patch, gridW = width / patch (patches row-major over the grid).
    /// Row (b, gy, gx), column (c, ky, kx) = inp[b, c, gy*patch + ky, gx*patch + kx]:
    /// the column order of a flattened Conv2d weight [outChannels, channels, patch, patch].
    public static func forward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
                               batch: Int, channels: Int, height: Int, width: Int, patch: Int) {
        let gridH = height / patch, gridW = width / patch
        let rowLength = channels * patch * patch
        Parallel.chunks(batch * gridH) { range in
            for bgy in range {
                let b = bgy / gridH, gy = bgy % gridH
                for gx in 0..<gridW {
                    var dst = out + (bgy * gridW + gx) * rowLength
                    for c in 0..<channels {
                        var src = inp + ((b * channels + c) * height + gy * patch) * width + gx * patch
                        for _ in 0..<patch {
                            dst.update(from: src, count: patch)
                            dst += patch
                            src += width
                        }
                    }
                }
            }
        }
    }
}
