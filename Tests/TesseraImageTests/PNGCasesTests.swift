import TesseraCore
import TesseraImage
import TestSupport
import XCTest

/// `fixtures/preprocess/cases` (made by fixtures/make_png_cases.py): every PNG
/// format against Pillow's `convert("RGB")`, then Pillow's whole resize and the
/// resize + crop of a small pipeline (sizes in the file's metadata); corrupt
/// files against errors.
final class PNGCasesTests: XCTestCase {
    static let formats = [
        "grey1.png", "grey2.png", "grey4.png", "grey8_trns.png", "grey16.png",
        "grey_alpha8.png", "grey_alpha16.png", "rgb8_trns_gamma.png", "rgb16.png", "rgba8.png", "rgba16.png",
        "palette1.png", "palette2_trns.png", "palette4.png", "palette8_trns.png", "palette8_short.png",
        "rgb8_interlaced.png", "grey1_interlaced.png", "palette4_interlaced.png", "grey16_interlaced.png",
        "rgba16_interlaced.png",
        "noise_160x100.png", "noise_13x9.png", "noise_24x30.png", "noise_400x23.png", "noise_binary_37x29.png",
    ]

    func testEveryFormatDecodesAndResamplesAsPillow() throws {
        let expected = try Fixtures.load("preprocess/cases/expected.safetensors")
        let resize = try XCTUnwrap(expected.metadata["resize"].flatMap { Int($0) })
        let crop = try XCTUnwrap(expected.metadata["crop"].flatMap { Int($0) })
        let pipeline = TilePreprocessor(resize: resize, crop: crop)
        for name in Self.formats {
            let image = try PNGDecoder().decode(path: Fixtures.path("preprocess/cases/" + name))
            try assertEqual(image, try XCTUnwrap(expected[name + ".rgb"], name), "\(name) RGB")
            let size = pipeline.resizedSize(width: image.width, height: image.height)
            let resized = BicubicResampler(inputWidth: image.width, inputHeight: image.height,
                                           outputWidth: size.width, outputHeight: size.height).resize(image)
            try assertEqual(resized, try XCTUnwrap(expected[name + ".resized"], name), "\(name) resized")
            try assertEqual(pipeline.cropped(image), try XCTUnwrap(expected[name + ".tile"], name), "\(name) tile")
        }
    }

    func testCropLargerThanImagePadsWithZeros() throws {
        let expected = try Fixtures.load("preprocess/cases/expected.safetensors")
        let resize = try XCTUnwrap(expected.metadata["resize"].flatMap { Int($0) })
        let crop = try XCTUnwrap(expected.metadata["padded_crop"].flatMap { Int($0) })
        let image = try PNGDecoder().decode(path: Fixtures.path("preprocess/cases/noise_13x9.png"))
        let tile = TilePreprocessor(resize: resize, crop: crop).cropped(image)
        try assertEqual(tile, try XCTUnwrap(expected["noise_13x9.png.padded_tile"]), "padded tile")
    }

    /// A 2 x 200,000 strip resizes to 256 x 25,600,000 (6.5 G pixels): only the
    /// 224 x 224 crop may be computed. It must equal the same crop of a
    /// resampler whose window is given explicitly.
    func testExtremeAspectRatioComputesOnlyTheCrop() {
        var strip = RGBImage(width: 2, height: 200_000)
        for i in 0..<strip.pixels.count { strip.pixels[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 13) }
        let pipeline = TilePreprocessor.gigapath
        let tile = pipeline.cropped(strip)
        XCTAssertEqual([tile.width, tile.height], [224, 224])
        let size = pipeline.resizedSize(width: 2, height: 200_000)
        let origin = pipeline.cropOrigin(width: size.width, height: size.height)
        let window = BicubicResampler(inputWidth: 2, inputHeight: 200_000,
                                      outputWidth: size.width, outputHeight: size.height,
                                      columns: 0..<size.width, rows: origin.y..<(origin.y + 224)).resize(strip)
        for y in 0..<224 {
            let row = (y * size.width + origin.x) * 3
            XCTAssertEqual(tile.pixels[(y * 224) * 3..<(y * 224 + 224) * 3], window.pixels[row..<row + 224 * 3], "row \(y)")
        }
    }

    func testCorruptFilesThrowNamingTheFile() throws {
        let cases: [(String, (ImageDecodingError.Reason) -> Bool)] = [
            ("corrupt_truncated.png", { if case .corrupt(let m) = $0 { return m.contains("truncated") }; return false }),
            ("corrupt_crc_ihdr.png", { if case .corrupt(let m) = $0 { return m.contains("CRC") }; return false }),
            ("corrupt_crc_idat.png", { if case .corrupt(let m) = $0 { return m.contains("CRC") }; return false }),
            ("corrupt_zlib.png", { if case .corrupt = $0 { return true }; return false }),
            ("corrupt_no_idat.png", { if case .corrupt = $0 { return true }; return false }),
            ("corrupt_ihdr.png", { if case .corrupt = $0 { return true }; return false }),
            ("corrupt_huge.png", { $0 == .tooLarge(width: 100_000, height: 100_000, limit: PNGDecoder.pillowPixelLimit) }),
            ("corrupt_signature.png", { $0 == .notPNG }),
            ("corrupt_empty.png", { $0 == .notPNG }),
        ]
        for (name, matches) in cases {
            let path = Fixtures.path("preprocess/cases/" + name)
            XCTAssertThrowsError(try PNGDecoder().decode(path: path), name) { error in
                guard let error = error as? ImageDecodingError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(error.path, path)
                XCTAssertTrue(matches(error.reason), "\(name): \(error)")
                XCTAssertTrue(error.description.hasPrefix(path), error.description)
            }
        }
    }

    /// Damaged files where decoders may disagree, each with Pillow's recorded
    /// verdict and Tessera's decision (README, PNG section): decode as Pillow
    /// where Pillow's pixels are the image, refuse (the error's text given)
    /// where they are not, or where the data can no longer be checked.
    static let edgeCases: [(name: String, pillowDecodes: Bool, refusal: String?)] = [
        ("edge_no_iend.png", true, nil),
        ("edge_cut_iend_crc.png", true, nil),
        ("edge_cut_idat_crc.png", true, "file is truncated"),
        ("edge_palette_no_plte.png", true, "Missing PLTE"),
        ("edge_unknown_critical.png", true, nil),
        ("edge_bad_text_crc.png", false, "tEXt: CRC error"),
        ("edge_bad_text_crc_after_idat.png", true, nil),
    ]

    func testEdgeCasesFollowTheDecisionPerCase() throws {
        let expected = try Fixtures.load("preprocess/cases/expected.safetensors")
        for (name, pillowDecodes, refusal) in Self.edgeCases {
            let verdict = try XCTUnwrap(expected.metadata["pillow." + name], "\(name): no recorded Pillow verdict")
            XCTAssertEqual(verdict == "decodes", pillowDecodes, "\(name): Pillow \(verdict)")
            let path = Fixtures.path("preprocess/cases/" + name)
            if let refusal {
                XCTAssertThrowsError(try PNGDecoder().decode(path: path), name) { error in
                    XCTAssertTrue("\(error)".hasPrefix(path) && "\(error)".contains(refusal), "\(name): \(error)")
                }
            } else {
                try assertEqual(try PNGDecoder().decode(path: path), try XCTUnwrap(expected[name + ".rgb"], name), name)
            }
        }
        // Why a palette image without PLTE is refused: Pillow's pixels are all black.
        let black = try XCTUnwrap(expected["edge_palette_no_plte.png.rgb"])
        XCTAssertTrue(black.bytes.allSatisfy { $0 == 0 })
    }

    func testPixelLimitIsCheckedBeforeDecoding() throws {
        let path = Fixtures.path("preprocess/cases/noise_160x100.png")
        XCTAssertThrowsError(try PNGDecoder(maxPixels: 159 * 100).decode(path: path)) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.reason, .tooLarge(width: 160, height: 100, limit: 15_900))
        }
        XCTAssertNoThrow(try PNGDecoder(maxPixels: 160 * 100).decode(path: path))
    }

    func testMissingFileIsUnreadable() {
        XCTAssertThrowsError(try PNGDecoder().decode(path: "/nonexistent/tile.png")) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.reason, .unreadable("No such file or directory"))
        }
    }

    /// A FIFO is refused from its file type, before any read (which would wait for a writer forever).
    func testFIFOIsRefusedWithoutWaiting() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let path = folder.file("tile.png")
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        XCTAssertThrowsError(try PNGDecoder().decode(path: path)) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.reason, .unreadable("Invalid argument"))
        }
    }

    private func assertEqual(_ image: RGBImage, _ expected: Tensor, _ what: String) throws {
        XCTAssertEqual(expected.dtype, .u8, what)
        XCTAssertEqual([image.height, image.width, 3], expected.shape, what)
        guard [image.height, image.width, 3] == expected.shape else { return }
        let worst = zip(image.pixels, expected.bytes).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertEqual(worst, 0, "\(what): max abs difference")
    }
}
