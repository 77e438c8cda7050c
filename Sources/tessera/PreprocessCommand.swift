import ArgumentParser
import Foundation
import TesseraCore
import TesseraFormats
import TesseraImage
import TesseraModels

struct PreprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preprocess",
        abstract: "Run the tile preprocessing of prov-gigapath on PNGs and save the tensors.",
        discussion: """
        Decodes each PNG, converts it to RGB as Pillow does, resizes the shorter side to 256 \
        with Pillow's bicubic, center-crops 224 and normalises with the ImageNet mean/std. \
        Writes one float32 tensor [3,224,224] per image, keyed by the image's file name. \
        With --uint8, also the cropped image before normalisation, uint8 [224,224,3], under \
        "<file name>.uint8" (bit-exact with Pillow: a parity hook).

        Example:
          tessera preprocess tiles/a.png tiles/b.png -o tiles.safetensors
        """)

    @Argument(help: "PNG images; their file names (without folders) must be distinct.")
    var images: [String]

    @Option(name: .shortAndLong, help: "Output .safetensors file (written atomically).")
    var output: String

    @Flag(help: "Also store the uint8 HWC tile after resize and crop.")
    var uint8 = false

    func run() throws {
        try OutputPath.check(output, option: "-o", inputs: images.map { .init("image", $0) })  // before decoding: a bad -o fails at once
        let pipeline = TilePreprocessor.gigapath
        let names = images.map { URL(fileURLWithPath: $0).lastPathComponent }
        var seen: [String: String] = [:]
        for (name, path) in zip(names, images) {
            if let other = seen.updateValue(path, forKey: name) {
                throw ValidationError("two images share the file name '\(name)': \(other) and \(path)")
            }
        }
        var dict = StateDict()
        dict.metadata = [
            "resize": "\(pipeline.resize)", "crop": "\(pipeline.crop)",
            "mean": pipeline.mean.map { "\($0)" }.joined(separator: ","),
            "std": pipeline.std.map { "\($0)" }.joined(separator: ","),
        ]
        var progress = ProgressLine("preprocess", total: images.count, unit: "images")
        let decoder = PNGDecoder()
        defer { progress.finish() }
        // A bad image stops the command: the error names the file (exit status 1).
        for (i, (name, path)) in zip(names, images).enumerated() {
            let tile = pipeline.cropped(try decoder.decode(path: path))
            dict.set(name, pipeline.normalize(tile))
            if uint8 {
                let bytes = Tensor(zeros: [tile.height, tile.width, 3], dtype: .u8)
                tile.pixels.withUnsafeBytes { bytes.storage.mutableBytes.copyMemory(from: $0) }
                dict.set(name + ".uint8", bytes)
            }
            progress.update(i + 1)
        }
        try SafeTensors.write(dict, to: output)
    }
}
