import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

final class EmbedCommandTests: XCTestCase {
    static func rows(_ t: Tensor, _ range: Range<Int>) -> [Float] {
        let width = t.count / t.shape[0]
        return Array(t.floats()[(range.lowerBound * width)..<(range.upperBound * width)])
    }

    static func metadataList(_ dict: StateDict, _ key: String) throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(XCTUnwrap(dict.metadata[key]).utf8))
    }

    /// The demo slide folder through the fixture teacher reproduces the reference
    /// `tile_embeds` and `coords`, rows in file-name order.
    func testSlideFolderReproducesReference() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let output = folder.file("demo.safetensors")
        let result = try TesseraProcess.run(["embed", Fixtures.path("slide_folder/demo_slide"),
                                             "--tile-encoder", Fixtures.path("tile_teacher"), "-o", output, "--batch", "3"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("tiles/s"), result.stderr)
        let written = try SafeTensors.read(path: output)
        let expected = try Fixtures.load("slide_folder/expected.safetensors")
        for key in ["tile_embeds", "coords"] {
            let got = try XCTUnwrap(written[key]), want = try XCTUnwrap(expected[key])
            XCTAssertEqual(got.dtype, want.dtype, key)
            XCTAssertEqual(got.shape, want.shape, key)
            XCTAssertLessThan(relativeError(got.floats(), want.floats()), 1e-4, key)
        }
        let listed = try String(contentsOfFile: Fixtures.path("slide_folder/tiles.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(try Self.metadataList(written, "tile_names"), listed)
        XCTAssertEqual(written.metadata["architecture"], "vit_giant_patch14_dinov2")
        XCTAssertEqual(written.metadata["weights_sha256"], try SHA256.hex(ofFile: Fixtures.path("tile_teacher/model.safetensors")))
    }

    /// PNGs given one by one keep their order; the fixture images are rows 2 and 3
    /// of the reference batch (embedding and every block's hidden states).
    func testImageListReproducesReferenceRowsAndHiddenStates() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let output = folder.file("pair.safetensors")
        let result = try TesseraProcess.run(["embed", Fixtures.path("preprocess/ihc_512.png"),
                                             Fixtures.path("preprocess/ihc_crop_300x200.png"),
                                             "--tile-encoder", Fixtures.path("tile_teacher"),
                                             "-o", output, "--hidden-states", "--threads", "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let written = try SafeTensors.read(path: output)
        let expected = try Fixtures.load("tile_teacher/expected.safetensors")
        XCTAssertNil(written["coords"], "these names carry no coordinates")
        XCTAssertLessThan(relativeError(try XCTUnwrap(written["tile_embeds"]).floats(),
                                        Self.rows(try XCTUnwrap(expected["embedding"]), 2..<4)), 1e-4)
        for i in 0..<3 {
            XCTAssertLessThan(relativeError(try XCTUnwrap(written["blocks.\(i)"]).floats(),
                                            Self.rows(try XCTUnwrap(expected["blocks.\(i)"]), 2..<4)), 1e-4, "blocks.\(i)")
        }
        XCTAssertEqual(try Self.metadataList(written, "tile_names"), ["ihc_512.png", "ihc_crop_300x200.png"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0 != "pair.safetensors" }
        XCTAssertEqual(leftovers, [], "scratch files are removed")
    }

    /// A truncated PNG among good tiles is reported by name and skipped; with
    /// --strict the run fails and writes nothing.
    func testBadTileIsSkippedOrFatalWhenStrict() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let slide = folder.file("slide")
        try FileManager.default.createDirectory(atPath: slide, withIntermediateDirectories: true)
        let good = ["40960x_12800y.png", "40960x_13056y.png", "40960x_13312y.png"]
        for name in good {
            try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide/" + name), toPath: slide + "/" + name)
        }
        let png = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("slide_folder/demo_slide/41216x_12800y.png")))
        try png.prefix(png.count / 2).write(to: URL(fileURLWithPath: slide + "/40960x_13000y.png"))

        let output = folder.file("out.safetensors")
        let lenient = try TesseraProcess.run(["embed", slide, "--tile-encoder", Fixtures.path("tile_teacher"), "-o", output])
        XCTAssertEqual(lenient.status, 0, lenient.stderr)
        XCTAssertTrue(lenient.stderr.contains("40960x_13000y.png"), lenient.stderr)
        XCTAssertTrue(lenient.stderr.contains("1 skipped"), lenient.stderr)
        let written = try SafeTensors.read(path: output)
        let expected = try Fixtures.load("slide_folder/expected.safetensors")
        XCTAssertEqual(try Self.metadataList(written, "tile_names"), good)
        XCTAssertEqual(try Self.metadataList(written, "skipped_tiles"), ["40960x_13000y.png"])
        XCTAssertLessThan(relativeError(try XCTUnwrap(written["tile_embeds"]).floats(),
                                        Self.rows(try XCTUnwrap(expected["tile_embeds"]), 0..<3)), 1e-4)

        let strictOutput = folder.file("strict.safetensors")
        let strict = try TesseraProcess.run(["embed", slide, "--tile-encoder", Fixtures.path("tile_teacher"),
                                             "-o", strictOutput, "--strict"])
        XCTAssertNotEqual(strict.status, 0)
        XCTAssertTrue(strict.stderr.contains("40960x_13000y.png"), strict.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: strictOutput))
    }

    func testUnknownArchitectureIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let result = try TesseraProcess.run(["embed", Fixtures.path("preprocess/ihc_512.png"), "--tile-encoder",
                                             Fixtures.path("tile_student/model.safetensors"), "--arch", "resnet50",
                                             "-o", folder.file("x.safetensors")])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("resnet50"), result.stderr)
    }
}
