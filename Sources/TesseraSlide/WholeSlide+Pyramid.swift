/// The checks of the levels OpenSlide reports, for every format: a pyramid, not a list of
/// unrelated sizes (the tiling scales boxes between levels by their downsamples).
extension WholeSlide {
    /// Level 0 within `maxSide` a side; each level no larger than the one before, its downsample
    /// at least the one before's, and its sides level 0's divided by its downsample, each within
    /// two pixels or 1% (sizes are rounded per level, and OpenSlide averages the two axes).
    static func checkPyramid(_ levels: [Level], path: String) throws(SlideError) {
        func refuse(_ detail: String) -> SlideError { SlideError(path: path, problem: .inconsistentLevels(detail)) }
        guard let base = levels.first else { throw refuse("OpenSlide reports no levels") }
        guard (1...maxSide).contains(base.width), (1...maxSide).contains(base.height) else {
            throw refuse("level 0 is \(base.width)x\(base.height) pixels (each side 1 to \(maxSide))")
        }
        for (index, level) in levels.enumerated().dropFirst() {
            let previous = levels[index - 1]
            let d = level.downsample
            guard level.width >= 1, level.height >= 1, level.width <= previous.width, level.height <= previous.height,
                  d.isFinite, d >= previous.downsample else {
                throw refuse("level \(index) is \(level.width)x\(level.height) (downsample \(d)) after level \(index - 1)'s "
                    + "\(previous.width)x\(previous.height) (downsample \(previous.downsample))")
            }
            func off(_ side: Int, _ base: Int) -> Bool { abs(Double(base) / d - Double(side)) > max(2, Double(side) / 100) }
            if off(level.width, base.width) || off(level.height, base.height) {
                throw refuse("level \(index) is \(level.width)x\(level.height) under a \(base.width)x\(base.height) level 0 "
                    + "with downsample \(d): its sides do not shrink by the same factor")
            }
        }
    }
}
