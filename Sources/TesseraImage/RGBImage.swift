import TesseraCore

/// An 8-bit RGB image: rows top to bottom, pixels interleaved R, G, B (HWC), the
/// layout of `numpy.asarray(pil_image.convert("RGB"))`.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `height * width * 3` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        guarantee(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                  "\(pixels.count) bytes for a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height * 3))
    }
}
