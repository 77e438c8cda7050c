import CPosix

/// Why a whole-slide file could not be opened, read or tiled. Every error names the file.
public struct SlideError: Error, Equatable, CustomStringConvertible {
    public enum Problem: Equatable, Sendable {
        /// OpenSlide does not know the format, or the file is missing or unreadable.
        case unsupported
        /// A folder or device, not a file.
        case notAFile
        /// The file cannot be opened or mapped (`errno`).
        case unreadable(errno: Int32)
        /// Zero bytes.
        case empty
        /// A TIFF whose structure is damaged (TIFFPrecheck): what is wrong, and where.
        case damagedTIFF(String)
        /// Levels that are no pyramid: a level larger than the one before it, sides shrunk by
        /// different factors, or a level 0 past `WholeSlide.maxSide`.
        case inconsistentLevels(String)
        /// One tile's pixels cannot be read (OpenSlide's message): the tile is skipped.
        case unreadableTile(name: String, x: Int, y: Int, message: String)
        /// OpenSlide's own message (`openslide_get_error`): the handle is unusable from then on.
        case openSlide(String)
        /// A level past the slide's pyramid.
        case noSuchLevel(Int, levels: Int)
        /// A region too large to hold in memory at once.
        case regionTooLarge(width: Int, height: Int)
        /// Every pixel of the smallest level is background: nothing to tile.
        case noForeground
        /// Upstream's tiling at a level whose downsample is not an integer: its one large region
        /// read cannot be reproduced tile by tile there.
        case fractionalDownsample(level: Int, downsample: Double)
    }

    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .unsupported: return "\(path): not a whole-slide image OpenSlide can open (or not readable)"
        case .notAFile: return "\(path): not a regular file (a folder?), so not a whole-slide file"
        case .unreadable(let code): return "\(path): cannot read: \(String(cString: strerror(code)))"
        case .empty: return "\(path): empty file, not a whole-slide image"
        case .damagedTIFF(let detail): return "\(path): damaged TIFF structure: \(detail)"
        case .inconsistentLevels(let detail): return "\(path): the pyramid's levels disagree: \(detail)"
        case .unreadableTile(let name, let x, let y, let message):
            return "\(path): tile \(name) (level-0 x \(x), y \(y)) cannot be read: OpenSlide: \(message)"
        case .openSlide(let message): return "\(path): OpenSlide: \(message)"
        case .noSuchLevel(let level, let levels): return "\(path): no level \(level) (the slide has \(levels))"
        case .regionTooLarge(let w, let h): return "\(path): a region of \(w)x\(h) pixels is too large to read at once"
        case .noForeground: return "\(path): no foreground on the smallest level (every pixel is above the threshold)"
        case .fractionalDownsample(let level, let downsample):
            return "\(path): level \(level) has downsample \(downsample), not an integer; prov-gigapath compatibility needs level 0 or an integer downsample"
        }
    }
}
