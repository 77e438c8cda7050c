import XCTest
import Foundation
import TesseraCore
import TesseraFormats
import TestSupport

/// Hostile or careless inputs to embed and slide: sizes from options and configs are bounded by
/// what the data holds; non-finite values and unnamed tiles are reported by name.
final class InputHardeningTests: XCTestCase {
    var folder: TemporaryFolder!
    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    func testHugeBatchOnFewTilesAllocatesForTheTiles() throws {
        let result = try TesseraProcess.run(["embed", Fixtures.path("slide_folder/demo_slide"), "--tile-encoder",
                                             Fixtures.path("tile_student"), "--batch", "100000", "-o", folder.file("o.safetensors")])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func testConfigDepthBeyondTheWeightsIsRefusedBeforeBuilding() throws {
        let model = folder.file("model")
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        var config = try String(contentsOfFile: Fixtures.path("tile_student/config.json"), encoding: .utf8)
        config = config.replacingOccurrences(of: #""depth": 2"#, with: #""depth": 1000000000"#)
        XCTAssertTrue(config.contains("1000000000"))
        try config.write(toFile: model + "/config.json", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Fixtures.path("tile_student/model.safetensors"), toPath: model + "/model.safetensors")
        let result = try TesseraProcess.run(["embed", Fixtures.path("slide_folder/demo_slide"), "--tile-encoder", model,
                                             "-o", folder.file("o.safetensors")])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("depth 1000000000"), result.stderr)
    }

    func testNonFiniteTileEmbedsAndCoordsAreRefusedByTileName() throws {
        let expected = try Fixtures.load("slide_encoder/expected.safetensors")
        for (key, value, tile) in [("tile_embeds", Float.nan, "t2.png"), ("coords", Float.infinity, "t1.png")] {
            var features = StateDict()
            let tiles = try XCTUnwrap(expected["n9.tile_embeds"]).converted(to: .f32)
            let coords = try XCTUnwrap(expected["n9.coords"]).converted(to: .f32)
            // Row 2 of tile_embeds [9, 96]; row 1 of coords [9, 2].
            (key == "tile_embeds" ? tiles : coords).mutableFloatPointer[key == "tile_embeds" ? 2 * 96 + 1 : 2 * 1 + 1] = value
            features.set("tile_embeds", tiles)
            features.set("coords", coords)
            features.metadata["tile_names"] = "[" + (0..<9).map { "\"t\($0).png\"" }.joined(separator: ",") + "]"
            try SafeTensors.write(features, to: folder.file("f.safetensors"))
            let result = try TesseraProcess.run(["slide", folder.file("f.safetensors"), "--slide-encoder", Fixtures.path("slide_encoder"),
                                                 "-o", folder.file("s.safetensors")])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(tile), "\(key): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(value.isNaN ? "nan" : "inf"), "\(key): \(result.stderr)")
        }
    }

    func testAnUnnamedTileKeepsTheRestAndIsNamedInAWarning() throws {
        let slide = folder.file("slide")
        try FileManager.default.createDirectory(atPath: slide, withIntermediateDirectories: true)
        let tiles = try FileManager.default.contentsOfDirectory(atPath: Fixtures.path("slide_folder/demo_slide")).sorted()
        for tile in tiles.prefix(3) {
            try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide/" + tile), toPath: slide + "/" + tile)
        }
        try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide/" + tiles[3]), toPath: slide + "/12x_34y.PNG")
        let result = try TesseraProcess.run(["embed", slide, "--tile-encoder", Fixtures.path("tile_student"), "-o", folder.file("o.safetensors")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("12x_34y.PNG"), result.stderr)
        let out = try SafeTensors.read(path: folder.file("o.safetensors"))
        XCTAssertEqual(out["tile_embeds"]?.shape, [4, 64])
        XCTAssertNil(out["coords"], "coords of some tiles only would misplace rows")
        let withSlide = try TesseraProcess.run(["embed", slide, "--tile-encoder", Fixtures.path("tile_teacher"),
                                                "--slide-encoder", Fixtures.path("slide_encoder"), "-o", folder.file("p.safetensors")])
        XCTAssertEqual(withSlide.status, 1, withSlide.stderr)
        XCTAssertTrue(withSlide.stderr.contains("12x_34y.PNG"), withSlide.stderr)
    }

    /// Negative numbers are values (refused by name, with the value), not missing ones; infinities too.
    func testNegativeAndInfiniteOptionValuesAreNamed() throws {
        for (option, value) in [("--threads", "-2"), ("--batch", "-3"), ("--coord-scale", "inf"), ("--tile-size", "-256"), ("--heads", "-1")] {
            let result = try TesseraProcess.run(["embed", Fixtures.path("slide_folder/demo_slide"), "--tile-encoder",
                                                 Fixtures.path("tile_student"), "-o", folder.file("o.safetensors"), option, value])
            XCTAssertEqual(result.status, 64, result.stderr)
            XCTAssertTrue(result.stderr.contains("\(option) must") && result.stderr.contains("got \(value)"), result.stderr)
        }
    }

    /// The same for the numeric options of `distill` and `export`.
    func testNegativeValuesOfDistillAndExportAreNamed() throws {
        let distill = ["distill", "--teacher", "t", "--teacher-slide", "s", "--data", "d", "-o", folder.file("run")]
        for (option, value) in [("--steps", "-3"), ("--micro-batch", "-1"), ("--slide-depth", "-2"), ("--slide-dim", "-64"),
                                ("--slide-heads", "-1"), ("--tiles-per-step", "-5"), ("--lr", "-0.1"), ("--clip", "-1.0"),
                                ("--beta", "-0.5"), ("--teacher-batch", "-8")] {
            let result = try TesseraProcess.run(distill + [option, value])
            XCTAssertEqual(result.status, 64, "\(option): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("\(option) must") && result.stderr.contains("got \(value)"), result.stderr)
        }
        let export = try TesseraProcess.run(["export", "--tile-encoder", "t", "--weights", "f32", "--compress", "zstd",
                                             "--zstd-level", "-1", "-o", folder.file("s.tsb")])
        XCTAssertEqual(export.status, 64, export.stderr)
        XCTAssertTrue(export.stderr.contains("--zstd-level must be in 1...19, got -1"), export.stderr)
    }
}
