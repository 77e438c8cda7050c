/// PNG samples as libpng decoded them: one byte per sub-byte sample (unscaled),
/// 16-bit samples big-endian, palette images as indices; plus the PLTE colours.
struct PNGRawImage {
    let width: Int
    let height: Int
    let bitDepth: Int
    /// PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.
    let colorType: Int
    let rowBytes: Int
    let samples: [UInt8]
    /// RGB triples of the PLTE chunk, flattened.
    let palette: [UInt8]

    /// The image as Pillow's `Image.open(...).convert("RGB")` gives it, measured
    /// with Pillow 13:
    /// - grey of 1, 2, 4 bits: scaled to 8 bits (x255, x85, x17), replicated;
    /// - 8-bit grey, grey+alpha: grey replicated, alpha dropped (no compositing);
    /// - palette (any depth, with or without tRNS): looked up; an index past the
    ///   end of PLTE gives black, transparency is ignored;
    /// - RGB, RGBA: alpha dropped;
    /// - 16-bit RGB, RGBA, grey+alpha: the high byte of each sample (Pillow
    ///   unpacks them with its `;16B` raw modes);
    /// - 16-bit grey: Pillow opens it as mode `I;16` and `convert("RGB")` clips
    ///   each value to 0...255, so the output is `min(v, 255)`, not the high byte
    ///   (a typical 16-bit grey image comes out nearly white). Parity wins here.
    /// tRNS never matters for RGB output, and gamma/colour chunks are ignored.
    func pillowRGB() -> RGBImage {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let wide = bitDepth == 16
        let bytesPerSample = wide ? 2 : 1
        let channels: Int, offsets: (Int, Int, Int)
        switch colorType {
        case 2: channels = 3; offsets = (0, bytesPerSample, 2 * bytesPerSample)
        case 4: channels = 2; offsets = (0, 0, 0)
        case 6: channels = 4; offsets = (0, bytesPerSample, 2 * bytesPerSample)
        default: channels = 1; offsets = (0, 0, 0)  // grey, palette
        }
        let stride = channels * bytesPerSample
        let lookup = lookupTable()
        samples.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                lookup.withUnsafeBufferPointer { lut in
                    for y in 0..<height {
                        let row = src.baseAddress! + y * rowBytes
                        let outRow = dst.baseAddress! + y * width * 3
                        if colorType == 2 && !wide {  // already 8-bit RGB: the common tile
                            outRow.update(from: row, count: width * 3)
                            continue
                        }
                        if colorType == 0 && wide {
                            for x in 0..<width {
                                let v: UInt8 = row[2 * x] != 0 ? 255 : row[2 * x + 1]
                                outRow[3 * x] = v; outRow[3 * x + 1] = v; outRow[3 * x + 2] = v
                            }
                            continue
                        }
                        for x in 0..<width {
                            let p = row + x * stride
                            outRow[3 * x] = lut[Int(p[offsets.0])]
                            outRow[3 * x + 1] = lut[256 + Int(p[offsets.1])]
                            outRow[3 * x + 2] = lut[512 + Int(p[offsets.2])]
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// Three 256-entry tables (R, G, B) from the stored byte (the high byte of a
    /// 16-bit sample) to the output byte.
    private func lookupTable() -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 768)
        if colorType == 3 {
            for i in 0..<min(palette.count / 3, 256) {
                for c in 0..<3 { table[c * 256 + i] = palette[3 * i + c] }
            }
            return table
        }
        // Sub-byte grey is rescaled by bit replication: 255 / (2^depth - 1).
        let scale = bitDepth < 8 ? 255 / ((1 << bitDepth) - 1) : 1
        for i in 0..<256 {
            let v = UInt8(truncatingIfNeeded: min(i * scale, 255))
            for c in 0..<3 { table[c * 256 + i] = v }
        }
        return table
    }
}
