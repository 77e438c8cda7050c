import TesseraCore

/// The tile pipeline of prov-gigapath (MODELS.md §1), torchvision's
///
///     Resize(resize, BICUBIC) -> CenterCrop(crop) -> ToTensor -> Normalize(mean, std)
///
/// on an RGB image, with Pillow's resampling reproduced bit for bit:
/// - Resize: shorter side -> `resize`, longer -> `Int(resize * long / short)`
///   (Python's `int()` of a true division); see `BicubicResampler`.
/// - CenterCrop: top = round((h - crop) / 2), left = round((w - crop) / 2) with
///   halves to even (Python `round`); an image smaller than `crop` is padded with
///   zeros first, as torchvision does.
/// - ToTensor + Normalize, in Float32 as torch computes them:
///   `(Float(v) / 255 - mean[c]) / std[c]`, channel-first [3, crop, crop].
public struct TilePreprocessor: Equatable, Sendable {
    public var resize: Int
    public var crop: Int
    public var mean: [Float]
    public var std: [Float]

    /// prov-gigapath's transform: Resize(256), CenterCrop(224), ImageNet mean/std.
    public static let gigapath = TilePreprocessor()

    public init(resize: Int = 256, crop: Int = 224,
                mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]) {
        precondition(resize > 0 && crop > 0 && mean.count == 3 && std.count == 3,
                     "TilePreprocessor(resize: \(resize), crop: \(crop), mean: \(mean), std: \(std))")
        self.resize = resize
        self.crop = crop
        self.mean = mean
        self.std = std
    }

    /// Reads a PNG and returns the normalised [3, crop, crop] tensor.
    public func tensor(path: String, decoder: PNGDecoder = PNGDecoder()) throws -> Tensor {
        normalize(cropped(try decoder.decode(path: path)))
    }

    /// Size after `Resize`: (width, height).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let short = min(width, height), long = max(width, height)
        let newLong = Int(Double(resize * long) / Double(short))
        return width <= height ? (resize, newLong) : (newLong, resize)
    }

    /// Resize then center crop: the uint8 [crop, crop, 3] tile before ToTensor
    /// (the image Pillow would hand to ToTensor).
    public func cropped(_ image: RGBImage) -> RGBImage {
        let size = resizedSize(width: image.width, height: image.height)
        var resized = image
        if size.width != image.width || size.height != image.height {
            resized = BicubicResampler(inputWidth: image.width, inputHeight: image.height,
                                       outputWidth: size.width, outputHeight: size.height).resize(image)
        }
        return centerCrop(resized)
    }

    /// torchvision's `CenterCrop(crop)` on an RGB image.
    public func centerCrop(_ image: RGBImage) -> RGBImage {
        // Padding (image smaller than the crop) is a negative offset: outside pixels stay 0.
        func offset(_ size: Int) -> Int {
            if size < crop { return -((crop - size) / 2) }
            return Int((Double(size - crop) / 2).rounded(.toNearestOrEven))
        }
        let top = offset(image.height), left = offset(image.width)
        var out = RGBImage(width: crop, height: crop)
        let columns = max(0, left)..<min(image.width, left + crop)
        guard !columns.isEmpty else { return out }
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<crop {
                    let sy = y + top
                    guard sy >= 0 && sy < image.height else { continue }
                    let from = src.baseAddress! + (sy * image.width + columns.lowerBound) * 3
                    let to = dst.baseAddress! + (y * crop + columns.lowerBound - left) * 3
                    to.update(from: from, count: columns.count * 3)
                }
            }
        }
        return out
    }

    /// ToTensor + Normalize of a tile into a new [3, h, w] Float32 tensor.
    public func normalize(_ tile: RGBImage) -> Tensor {
        let out = Tensor(zeros: [3, tile.height, tile.width])
        out.withMutableFloats { normalize(tile, into: $0.baseAddress!) }
        return out
    }

    /// ToTensor + Normalize written channel-first at `destination` (3 * h * w
    /// floats), e.g. one slot of a batch buffer.
    public func normalize(_ tile: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        // One table per channel: the value for each of the 256 bytes, computed
        // with exactly torch's two Float32 operations.
        var table = [Float](repeating: 0, count: 768)
        for c in 0..<3 {
            for v in 0..<256 { table[c * 256 + v] = (Float(v) / 255 - mean[c]) / std[c] }
        }
        let plane = tile.width * tile.height
        tile.pixels.withUnsafeBufferPointer { src in
            table.withUnsafeBufferPointer { lut in
                for c in 0..<3 {
                    let channel = destination + c * plane
                    let channelTable = lut.baseAddress! + c * 256
                    for i in 0..<plane { channel[i] = channelTable[Int(src[3 * i + c])] }
                }
            }
        }
    }
}
