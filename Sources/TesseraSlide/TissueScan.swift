import TesseraImage

/// The segmentation level of a slide reduced to what the tiling takes from it. Both the
/// foreground test and its automatic threshold depend on a pixel's R + G + B alone (the
/// luminance is their mean), so it is enough to know, for every sum 0...765, how many pixels
/// have it and the box around them: the level is read in strips (`WholeSlide.forEachStrip`)
/// and never held whole, however large it is.
struct TissueScan {
    static let sums = 766
    /// Pixels whose R + G + B is the index.
    private(set) var counts = [Int](repeating: 0, count: TissueScan.sums)
    /// Per sum, the box around its pixels in the level's pixels: minX, minY, maxX, maxY at
    /// 4 * sum (`.max, .max, -1, -1` while there are none).
    private var boxes = [Int](repeating: 0, count: 4 * TissueScan.sums)

    init(slide: WholeSlide, level: Int, stripPixels: Int) throws(SlideError) {
        for sum in 0..<TissueScan.sums {
            boxes[4 * sum] = .max
            boxes[4 * sum + 1] = .max
            boxes[4 * sum + 2] = -1
            boxes[4 * sum + 3] = -1
        }
        try slide.forEachStrip(level: level, maxPixels: stripPixels) { top, strip in
            add(strip.pixels, width: strip.width, top: top)
        }
    }

    private mutating func add(_ pixels: [UInt8], width: Int, top: Int) {
        let rows = pixels.count / (3 * width)
        pixels.withUnsafeBufferPointer { rgb in
            counts.withUnsafeMutableBufferPointer { counts in
                boxes.withUnsafeMutableBufferPointer { boxes in
                    for row in 0..<rows {
                        // Rows come top to bottom: a sum's first row is its box's top, its last the bottom.
                        let y = top + row
                        for x in 0..<width {
                            let i = 3 * (row * width + x)
                            let sum = Int(rgb[i]) + Int(rgb[i + 1]) + Int(rgb[i + 2])
                            counts[sum] += 1
                            let b = 4 * sum
                            if x < boxes[b] { boxes[b] = x }
                            if boxes[b + 1] == .max { boxes[b + 1] = y }
                            if x > boxes[b + 2] { boxes[b + 2] = x }
                            boxes[b + 3] = y
                        }
                    }
                }
            }
        }
    }

    /// `skimage.filters.threshold_otsu` of the level's float16 luminance (nil for an empty level).
    var otsu: Float16? {
        ForegroundThreshold.otsu(weighted: (0..<TissueScan.sums).map {
            (value: ForegroundThreshold.luminance16(sum: $0), count: counts[$0])
        })
    }

    /// The box, in the level's pixels, around every pixel `foreground` contains; nil when none is.
    func box(_ foreground: Foreground) -> (minX: Int, minY: Int, maxX: Int, maxY: Int)? {
        var box: (minX: Int, minY: Int, maxX: Int, maxY: Int)?
        for sum in 0..<TissueScan.sums where counts[sum] > 0 && foreground.contains(sum: sum) {
            let b = 4 * sum
            let old = box ?? (boxes[b], boxes[b + 1], boxes[b + 2], boxes[b + 3])
            box = (min(old.minX, boxes[b]), min(old.minY, boxes[b + 1]), max(old.maxX, boxes[b + 2]), max(old.maxY, boxes[b + 3]))
        }
        return box
    }
}
