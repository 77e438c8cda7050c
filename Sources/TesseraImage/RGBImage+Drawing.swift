/// Plain drawing on an `RGBImage`, enough for a labelled picture (`SlidePicture`): filled
/// rectangles, opaque or blended over what is there, clipped to the image.
extension RGBImage {
    /// One 8-bit RGB colour.
    public struct Colour: Equatable, Sendable {
        public var red: UInt8
        public var green: UInt8
        public var blue: UInt8

        public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        public static let black = Colour(0, 0, 0)
        public static let white = Colour(255, 255, 255)
    }

    /// The colour at column `x`, row `y` (both inside the image).
    public subscript(x: Int, y: Int) -> Colour {
        let i = 3 * (y * width + x)
        return Colour(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Paints the rectangle of columns `x..<x + width`, rows `y..<y + height` (the part inside the image).
    public mutating func fill(x: Int, y: Int, width: Int, height: Int, _ colour: Colour) {
        blend(x: x, y: y, width: width, height: height, colour, alpha: 1)
    }

    /// Lays `colour` over the rectangle with opacity `alpha` (0: unchanged, 1: `colour`):
    /// each channel becomes `alpha * colour + (1 - alpha) * old`, rounded to nearest.
    public mutating func blend(x: Int, y: Int, width: Int, height: Int, _ colour: Colour, alpha: Double) {
        let left = max(x, 0), right = min(x + width, self.width), top = max(y, 0), bottom = min(y + height, self.height)
        guard left < right, top < bottom else { return }
        let a = min(max(alpha, 0), 1)
        let channels = [colour.red, colour.green, colour.blue]
        for row in top..<bottom {
            for column in left..<right {
                let i = 3 * (row * self.width + column)
                for c in 0..<3 {
                    pixels[i + c] = UInt8((a * Double(channels[c]) + (1 - a) * Double(pixels[i + c])).rounded())
                }
            }
        }
    }

    /// Copies `image` with its top-left corner at (`x`, `y`) (the part inside this image).
    public mutating func draw(_ image: RGBImage, x: Int, y: Int) {
        let left = max(x, 0), right = min(x + image.width, width)
        guard left < right else { return }
        for row in max(y, 0)..<max(max(y, 0), min(y + image.height, height)) {
            let from = 3 * ((row - y) * image.width + left - x), to = 3 * (row * width + left)
            pixels.replaceSubrange(to..<to + 3 * (right - left), with: image.pixels[from..<from + 3 * (right - left)])
        }
    }
}
