/// Resizes 8-bit RGB images bit-for-bit as Pillow's `Image.resize(size, BICUBIC)`
/// (no `reducing_gap`, which torchvision never passes): a horizontal pass over
/// the input rows the vertical pass will read, then a vertical pass, each
/// accumulating `pixel * weight` in Int32 from a start of 2^21 (the rounding
/// half) and storing `clamp(sum >> 22, 0, 255)`. A pass whose size does not
/// change is skipped; same size in and out returns the input unchanged.
///
/// The weight tables are built once per (input size, output size) pair; reuse one
/// resampler for a stream of same-sized tiles.
public struct BicubicResampler {
    public let inputWidth: Int
    public let inputHeight: Int
    public let outputWidth: Int
    public let outputHeight: Int
    private let horizontal: ResampleTaps?
    private let vertical: ResampleTaps

    public init(inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int) {
        precondition(inputWidth > 0 && inputHeight > 0 && outputWidth > 0 && outputHeight > 0,
                     "resize \(inputWidth)x\(inputHeight) -> \(outputWidth)x\(outputHeight)")
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        horizontal = inputWidth == outputWidth ? nil : ResampleTaps(inputSize: inputWidth, outputSize: outputWidth)
        vertical = ResampleTaps(inputSize: inputHeight, outputSize: outputHeight)
    }

    public func resize(_ image: RGBImage) -> RGBImage {
        precondition(image.width == inputWidth && image.height == inputHeight,
                     "a \(image.width)x\(image.height) image given to a \(inputWidth)x\(inputHeight) resampler")
        var source = image
        var rowOffset = 0
        if let horizontal {
            // Only the rows that the vertical pass reads.
            let rows = vertical.inputSpan
            source = Self.horizontalPass(image, rows: rows, taps: horizontal)
            rowOffset = rows.lowerBound
        }
        guard outputHeight != inputHeight else { return source }
        return Self.verticalPass(source, rowOffset: rowOffset, outputHeight: outputHeight, taps: vertical)
    }

    @inline(__always)
    private static func clip(_ sum: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(sum >> ResampleTaps.precisionBits, 0), 255))
    }

    private static let half: Int32 = 1 << (ResampleTaps.precisionBits - 1)

    /// Output row r = input row `rows.lowerBound + r`, resampled along x.
    private static func horizontalPass(_ image: RGBImage, rows: Range<Int>, taps: ResampleTaps) -> RGBImage {
        let outWidth = taps.first.count
        var out = RGBImage(width: outWidth, height: rows.count)
        let inStride = image.width * 3
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                taps.weights.withUnsafeBufferPointer { weights in
                    taps.first.withUnsafeBufferPointer { first in
                        taps.count.withUnsafeBufferPointer { count in
                            for (r, y) in rows.enumerated() {
                                let inRow = src.baseAddress! + y * inStride
                                let outRow = dst.baseAddress! + r * outWidth * 3
                                for x in 0..<outWidth {
                                    let k = weights.baseAddress! + x * taps.stride
                                    var p = inRow + first[x] * 3
                                    var s0 = half, s1 = half, s2 = half
                                    for i in 0..<count[x] {
                                        let w = k[i]
                                        s0 &+= Int32(p[0]) &* w
                                        s1 &+= Int32(p[1]) &* w
                                        s2 &+= Int32(p[2]) &* w
                                        p += 3
                                    }
                                    outRow[3 * x] = clip(s0)
                                    outRow[3 * x + 1] = clip(s1)
                                    outRow[3 * x + 2] = clip(s2)
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Output row y mixes source rows `taps.first[y] - rowOffset ...` along y.
    /// Integer sums are order-independent, so the taps run in the outer loop over
    /// whole contiguous rows (one Int32 accumulator row, allocated once).
    private static func verticalPass(_ image: RGBImage, rowOffset: Int, outputHeight: Int,
                                     taps: ResampleTaps) -> RGBImage {
        let rowLength = image.width * 3
        var out = RGBImage(width: image.width, height: outputHeight)
        var accumulator = [Int32](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<outputHeight {
                        for j in 0..<rowLength { acc[j] = half }
                        let start = taps.first[y] - rowOffset
                        for i in 0..<taps.count[y] {
                            let w = taps.weights[y * taps.stride + i]
                            let inRow = src.baseAddress! + (start + i) * rowLength
                            for j in 0..<rowLength { acc[j] &+= Int32(inRow[j]) &* w }
                        }
                        let outRow = dst.baseAddress! + y * rowLength
                        for j in 0..<rowLength { outRow[j] = clip(acc[j]) }
                    }
                }
            }
        }
        return out
    }
}
