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
        try FileManager.default.copyItem(atPath: Fixtures.path("slide_folder/demo_slide/" + tiles[3]), toPath: slide + "/no-position.PNG")
        let result = try TesseraProcess.run(["embed", slide, "--tile-encoder", Fixtures.path("tile_student"), "-o", folder.file("o.safetensors")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("no-position.PNG"), result.stderr)
        let out = try SafeTensors.read(path: folder.file("o.safetensors"))
        XCTAssertEqual(out["tile_embeds"]?.shape, [4, 64])
        XCTAssertNil(out["coords"], "coords of some tiles only would misplace rows")
        let withSlide = try TesseraProcess.run(["embed", slide, "--tile-encoder", Fixtures.path("tile_teacher"),
                                                "--slide-encoder", Fixtures.path("slide_encoder"), "-o", folder.file("p.safetensors")])
        XCTAssertEqual(withSlide.status, 1, withSlide.stderr)
        XCTAssertTrue(withSlide.stderr.contains("no-position.PNG"), withSlide.stderr)
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

    /// A copy of the demo slide's first `count` tiles in a new folder, each renamed by `rename`.
    private func demoTiles(_ name: String, count: Int = 4, rename: (String) -> String = { $0 }) throws -> String {
        let source = Fixtures.path("slide_folder/demo_slide")
        let copy = folder.file(name)
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for tile in try FileManager.default.contentsOfDirectory(atPath: source).sorted().prefix(count) {
            try FileManager.default.copyItem(atPath: source + "/" + tile, toPath: copy + "/" + rename(tile))
        }
        return copy
    }

    private func embedWithSlideEncoder(_ tiles: String, _ output: String) throws -> TesseraProcess.Result {
        try TesseraProcess.run(["embed", tiles, "--tile-encoder", Fixtures.path("tile_teacher"),
                                "--slide-encoder", Fixtures.path("slide_encoder"), "-o", output])
    }

    /// `.PNG` tiles are tiles in every respect: listed, and placed by the coordinates in their
    /// names (they were once listed, then refused as unnamed by the slide encoder).
    func testUpperCasePNGTilesAreListedAndPlaced() throws {
        let lower = try demoTiles("lower")
        let upper = try demoTiles("upper") { $0.replacingOccurrences(of: ".png", with: ".PNG") }
        let a = try embedWithSlideEncoder(lower, folder.file("lower.safetensors"))
        let b = try embedWithSlideEncoder(upper, folder.file("upper.safetensors"))
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual(b.status, 0, b.stderr)
        let want = try SafeTensors.read(path: folder.file("lower.safetensors"))
        let got = try SafeTensors.read(path: folder.file("upper.safetensors"))
        XCTAssertEqual(Set(got.names), Set(want.names))
        for name in want.names { XCTAssertEqual(try XCTUnwrap(got[name]).floats(), try XCTUnwrap(want[name]).floats(), name) }
    }

    /// Coordinates are read as integers and reported as written: past 2^24, where float32
    /// `coords` would round them (99999999999 to 99999997952), the tile is refused by name.
    func testCoordinatesBeyondFloat32AreRefusedAsWritten() throws {
        let tiles = try demoTiles("far") { $0 == "40960x_12800y.png" ? "99999999999x_12800y.png" : $0 }
        let result = try embedWithSlideEncoder(tiles, folder.file("far.safetensors"))
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("99999999999x_12800y.png: x = 99999999999 is beyond 16777216"), result.stderr)
        XCTAssertFalse(result.stderr.contains("99999997952"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("far.safetensors")))
        // 2^24 itself is exact and merely off the slide encoder's grid, reported with its value.
        let edge = try demoTiles("edge") { $0 == "40960x_12800y.png" ? "16777216x_12800y.png" : $0 }
        let off = try embedWithSlideEncoder(edge, folder.file("edge.safetensors"))
        XCTAssertEqual(off.status, 1, off.stderr)
        XCTAssertTrue(off.stderr.contains("16777216x_12800y.png: coordinates (16777216, 12800)"), off.stderr)
    }
}
