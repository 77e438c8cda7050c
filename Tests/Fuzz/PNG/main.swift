import TesseraCore
import TesseraImage

/// A PNG tile as `tessera embed` reads one: libpng's decode into Pillow's RGB, then the
/// Pillow-exact resize, centre crop and normalisation. The transform's sizes come from the
/// input's last byte (trailing bytes after IEND are ignored by the decoder), small so that
/// each input stays cheap: resize 1...16, crop 1...16, padded crops included. Images up to
/// 2^16 pixels are decoded, larger ones refused from their header, as the real limit does.
/// The chunks' CRCs are rewritten first (`PNGChunks`), so that mutations reach what they guard.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let knob = size > 0 ? Int(data[size - 1]) : 0
    let preprocessor = TilePreprocessor(resize: 1 + knob % 16, crop: 1 + knob / 16)
    let bytes = PNGChunks.resealed(Array(UnsafeBufferPointer(start: data, count: size)))
    let image: RGBImage
    do {
        image = try bytes.withUnsafeBytes { (raw) throws(ImageDecodingError) in
            try PNGDecoder(maxPixels: 1 << 16).decode(bytes: raw, name: "tile.png")
        }
    } catch {
        return 0  // typed: an ImageDecodingError, the only refusal there is
    }
    precondition(image.width > 0 && image.height > 0 && image.pixels.count == image.width * image.height * 3,
                 "decoded \(image.width)x\(image.height) with \(image.pixels.count) bytes")
    let tensor = preprocessor.normalize(preprocessor.cropped(image))
    precondition(tensor.shape == [3, preprocessor.crop, preprocessor.crop], "tile of shape \(tensor.shape)")
    precondition(tensor.withFloats { $0.allSatisfy(\.isFinite) }, "a normalised value is not finite")
    return 0
}
