import TesseraCore

/// The tile pipeline of prov-gigapath (docs/models.md §1), torchvision's
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
    public let resize: Int
    public let crop: Int
    public let mean: [Float]
    public let std: [Float]

    /// prov-gigapath's transform: Resize(256), CenterCrop(224), ImageNet mean/std.
    public static let gigapath = TilePreprocessor()

    public init(resize: Int = 256, crop: Int = 224,
                mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]) {
        guarantee(resize > 0 && crop > 0 && mean.count == 3 && std.count == 3,
                  "TilePreprocessor(resize: \(resize), crop: \(crop), \(mean.count) means, \(std.count) stds): "
                  + "sizes must be positive, with 3 means and 3 stds")
        self.resize = resize
        self.crop = crop
        self.mean = mean
        self.std = std
    }

    /// Reads a PNG and returns the normalised [3, crop, crop] tensor.
    public func tensor(path: String, decoder: PNGDecoder = PNGDecoder()) throws(ImageDecodingError) -> Tensor {
        normalize(cropped(try decoder.decode(path: path)))
    }

    /// Size after `Resize`: (width, height).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let short = min(width, height), long = max(width, height)
        let newLong = Int(Double(resize * long) / Double(short))
        return width <= height ? (resize, newLong) : (newLong, resize)
    }

    /// Top-left corner of torchvision's `CenterCrop(crop)` in an image of this
    /// size: round((size - crop) / 2), halves to even; negative when the image is
    /// smaller than the crop (torchvision pads (crop - size) // 2 zeros first).
    public func cropOrigin(width: Int, height: Int) -> (x: Int, y: Int) {
        func offset(_ size: Int) -> Int {
            if size < crop { return -((crop - size) / 2) }
            return Int((Double(size - crop) / 2).rounded(.toNearestOrEven))
        }
        return (offset(width), offset(height))
    }

    /// Resize then center crop: the uint8 [crop, crop, 3] tile before ToTensor
    /// (the image Pillow would hand to ToTensor). Only the cropped window of the
    /// resized image is computed, with the same bytes as resizing it whole.
    public func cropped(_ image: RGBImage) -> RGBImage {
        let size = resizedSize(width: image.width, height: image.height)
        let origin = cropOrigin(width: size.width, height: size.height)
        let columns = max(0, origin.x)..<min(size.width, origin.x + crop)
        let rows = max(0, origin.y)..<min(size.height, origin.y + crop)
        let window = BicubicResampler(inputWidth: image.width, inputHeight: image.height,
                                      outputWidth: size.width, outputHeight: size.height,
                                      columns: columns, rows: rows).resize(image)
        if window.width == crop && window.height == crop { return window }
        // Padded: place the window in a zero tile.
        var out = RGBImage(width: crop, height: crop)
        let dx = columns.lowerBound - origin.x, dy = rows.lowerBound - origin.y
        window.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<window.height {
                    (dst.baseAddress! + ((y + dy) * crop + dx) * 3)
                        .update(from: src.baseAddress! + y * window.width * 3, count: window.width * 3)
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
