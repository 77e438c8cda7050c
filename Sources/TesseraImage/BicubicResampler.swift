import TesseraCore

/// Resizes 8-bit RGB images bit-for-bit as Pillow's `Image.resize(size, BICUBIC)`
/// (no `reducing_gap`, which torchvision never passes): a horizontal pass over
/// the input rows the vertical pass will read, then a vertical pass, each
/// accumulating `pixel * weight` in Int32 from a start of 2^21 (the rounding
/// half) and storing `clamp(sum >> 22, 0, 255)`. An axis whose size does not
/// change is not filtered (Pillow skips that pass); same size in and out is a copy.
///
/// Only the output `window` is computed: `resize(image)` equals Pillow's resized
/// image cropped to `window`, at the cost of the window alone. The weight tables
/// are built once; reuse one resampler for a stream of same-sized tiles.
public struct BicubicResampler {
    public let inputWidth: Int
    public let inputHeight: Int
    public let outputWidth: Int
    public let outputHeight: Int
    /// Columns and rows of the full resized image that `resize` returns.
    public let columns: Range<Int>
    public let rows: Range<Int>
    /// nil: the axis keeps its size.
    private let horizontal: ResampleTaps?
    private let vertical: ResampleTaps?

    public init(inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int,
                columns: Range<Int>? = nil, rows: Range<Int>? = nil) {
        let columns = columns ?? 0..<outputWidth, rows = rows ?? 0..<outputHeight
        guarantee(inputWidth > 0 && inputHeight > 0 && outputWidth > 0 && outputHeight > 0
                  && columns.lowerBound >= 0 && columns.upperBound <= outputWidth
                  && rows.lowerBound >= 0 && rows.upperBound <= outputHeight,
                  "resize \(inputWidth)x\(inputHeight) -> \(outputWidth)x\(outputHeight), window \(columns.lowerBound)..<\(columns.upperBound) x \(rows.lowerBound)..<\(rows.upperBound)")
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        self.columns = columns
        self.rows = rows
        horizontal = inputWidth == outputWidth
            ? nil : ResampleTaps(inputSize: inputWidth, outputSize: outputWidth, outputs: columns)
        vertical = inputHeight == outputHeight
            ? nil : ResampleTaps(inputSize: inputHeight, outputSize: outputHeight, outputs: rows)
    }

    /// The `columns` x `rows` window of the resized image.
    public func resize(_ image: RGBImage) -> RGBImage {
        guarantee(image.width == inputWidth && image.height == inputHeight,
                  "a \(image.width)x\(image.height) image given to a \(inputWidth)x\(inputHeight) resampler")
        // Input rows the vertical pass reads (the window's own rows when it is skipped).
        let span = vertical?.inputSpan ?? rows
        let mixed = horizontal.map { Self.horizontalPass(image, rows: span, taps: $0) }
            ?? Self.slice(image, rows: span, columns: columns)
        guard let vertical else { return mixed }
        return Self.verticalPass(mixed, rowOffset: span.lowerBound, taps: vertical)
    }

    private static let half: Int32 = 1 << (ResampleTaps.precisionBits - 1)

    @inline(__always)
    private static func clip(_ sum: Int32) -> UInt8 {
        UInt8(truncatingIfNeeded: min(max(sum >> ResampleTaps.precisionBits, 0), 255))
    }

    private static func slice(_ image: RGBImage, rows: Range<Int>, columns: Range<Int>) -> RGBImage {
        var out = RGBImage(width: columns.count, height: rows.count)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for (r, y) in rows.enumerated() {
                    (dst.baseAddress! + r * columns.count * 3)
                        .update(from: src.baseAddress! + (y * image.width + columns.lowerBound) * 3,
                                count: columns.count * 3)
                }
            }
        }
        return out
    }

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

    /// Output row r mixes rows `taps.first[r] - rowOffset ...` of `image`.
    /// Integer sums are order-independent, so the taps run in the outer loop over
    /// whole contiguous rows (one Int32 accumulator row, allocated once).
    private static func verticalPass(_ image: RGBImage, rowOffset: Int, taps: ResampleTaps) -> RGBImage {
        let rowLength = image.width * 3
        let outHeight = taps.first.count
        var out = RGBImage(width: image.width, height: outHeight)
        var accumulator = [Int32](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    for r in 0..<outHeight {
                        for j in 0..<rowLength { acc[j] = half }
                        let start = taps.first[r] - rowOffset
                        for i in 0..<taps.count[r] {
                            let w = taps.weights[r * taps.stride + i]
                            let inRow = src.baseAddress! + (start + i) * rowLength
                            for j in 0..<rowLength { acc[j] &+= Int32(inRow[j]) &* w }
                        }
                        let outRow = dst.baseAddress! + r * rowLength
                        for j in 0..<rowLength { outRow[j] = clip(acc[j]) }
                    }
                }
            }
        }
        return out
    }
}
