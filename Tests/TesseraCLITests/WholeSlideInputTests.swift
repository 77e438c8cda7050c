import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// A whole-slide file where a command takes a slide folder: `tessera embed SLIDE` and
/// `tessera-edge run BUNDLE SLIDE` stream the tiles `tessera tile` writes, and their outputs
/// equal, bit for bit, those of the same command on the folder `tessera tile` wrote (PNG is
/// lossless). The outputs record the tiles' geometry, and the slide encoder's grid follows it.
final class WholeSlideInputTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    /// The geometry keys a whole-slide input adds to the metadata.
    static let geometryKeys: Set<String> = ["tile_level", "tile_size", "tile_downsample", "tile_mpp_x", "tile_mpp_y"]

    /// The levels' downsamples and the mpp that openslide-python read from the fixture slide.
    static func reference(_ slide: String) throws -> (downsamples: [Double], mpp: [Double]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("wsi/\(slide).roi.json")))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try XCTUnwrap(json["level_downsamples"] as? [Double]), try XCTUnwrap(json["mpp_xy"] as? [Double]))
    }

    /// `slide`'s folder, as `tessera tile` writes it in the default mode.
    private func tiled(_ slide: String, _ options: [String] = []) throws -> String {
        let result = try TesseraProcess.run(["tile", Fixtures.path("wsi/\(slide).svs"), "-o", folder.file("tiles")] + options)
        XCTAssertEqual(result.status, 0, result.stderr)
        return folder.file("tiles/\(slide).svs")
    }

    /// Every tensor of `a` equals `b`'s bit for bit, and the metadata too, but for the geometry
    /// keys that only `a` (from the whole-slide file) has.
    static func assertSame(_ a: StateDict, _ b: StateDict, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.names, b.names, label, file: file, line: line)
        for name in b.names {
            guard let x = a[name], let y = b[name] else { continue }
            XCTAssertEqual(x.shape, y.shape, "\(label) \(name)", file: file, line: line)
            XCTAssertEqual(x.floats().map(\.bitPattern), y.floats().map(\.bitPattern), "\(label) \(name)", file: file, line: line)
        }
        XCTAssertEqual(a.metadata.filter { !geometryKeys.contains($0.key) }, b.metadata, label, file: file, line: line)
        XCTAssertEqual(Set(a.metadata.keys).intersection(geometryKeys), geometryKeys, label, file: file, line: line)
    }

    /// The tile encoder and the slide encoder.
    static let models = ["--tile-encoder", Fixtures.path("tile_student"), "--slide-encoder", Fixtures.path("slide_encoder_16h")]

    /// `tessera embed SLIDE.svs` writes what `tessera embed` on the tiled folder writes, on both
    /// fixture slides; the geometry is openslide-python's.
    func testEmbedOfASlideFileEqualsEmbedOfItsTiledFolder() throws {
        for slide in ["synth_a", "synth_b"] {
            let tiles = try tiled(slide)
            let models = Self.models + ["--batch", "5"]
            let fromFile = folder.file("\(slide).file.safetensors"), fromFolder = folder.file("\(slide).folder.safetensors")
            let file = try TesseraProcess.run(["embed", Fixtures.path("wsi/\(slide).svs"), "-o", fromFile] + models)
            XCTAssertEqual(file.status, 0, file.stderr)
            let folderRun = try TesseraProcess.run(["embed", tiles, "-o", fromFolder] + models)
            XCTAssertEqual(folderRun.status, 0, folderRun.stderr)
            let a = try SafeTensors.read(path: fromFile), b = try SafeTensors.read(path: fromFolder)
            Self.assertSame(a, b, slide)
            XCTAssertGreaterThan(try XCTUnwrap(a["tile_embeds"]).shape[0], 20)
            let reference = try Self.reference(slide)
            XCTAssertEqual(a.metadata["tile_level"], "0")
            XCTAssertEqual(a.metadata["tile_size"], "256")
            XCTAssertEqual(a.metadata["tile_downsample"].flatMap(Double.init), reference.downsamples[0])
            XCTAssertEqual(a.metadata["tile_mpp_x"].flatMap(Double.init), reference.mpp[0])
            XCTAssertEqual(a.metadata["tile_mpp_y"].flatMap(Double.init), reference.mpp[1])
        }
        // synth_b's tiling grid starts 17 rows above the slide (a tile at (589, -17)): the slide
        // is placed 17 pixels lower on the slide encoder's grid, from the file as from the folder
        // (whose name -0017y is read as the number it is), and the output keeps the true coords.
        for input in [Fixtures.path("wsi/synth_b.svs"), folder.file("tiles/synth_b.svs")] {
            let result = try TesseraProcess.run(["embed", input, "-o", folder.file("shifted.safetensors")] + Self.models)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("placed on the slide encoder's grid shifted by (0, 17) pixels"), result.stderr)
            let coords = try XCTUnwrap(SafeTensors.read(path: folder.file("shifted.safetensors"))["coords"]).floats()
            XCTAssertEqual(stride(from: 1, to: coords.count, by: 2).map { coords[$0] }.min(), -17)
        }
    }

    /// The same with other tiling options (the ones `tessera tile` takes): level 1, 64-pixel tiles.
    func testEmbedTakesTheTilingOptionsOfTile() throws {
        let options = ["--level", "1", "--tile-size", "64", "--occupancy-threshold", "0.3"]
        let tiles = try tiled("synth_a", options)
        let model = ["--tile-encoder", Fixtures.path("tile_student")]
        let file = try TesseraProcess.run(["embed", Fixtures.path("wsi/synth_a.svs"), "-o", folder.file("a.safetensors")] + model + options)
        XCTAssertEqual(file.status, 0, file.stderr)
        let folderRun = try TesseraProcess.run(["embed", tiles, "-o", folder.file("b.safetensors")] + model)
        XCTAssertEqual(folderRun.status, 0, folderRun.stderr)
        let a = try SafeTensors.read(path: folder.file("a.safetensors"))
        Self.assertSame(a, try SafeTensors.read(path: folder.file("b.safetensors")), "level 1")
        XCTAssertEqual(a.metadata["tile_level"], "1")
        XCTAssertEqual(a.metadata["tile_size"], "64")
        XCTAssertEqual(a.metadata["tile_mpp_x"].flatMap(Double.init), try Self.reference("synth_a").mpp[0] * 4)
        // Options only a whole-slide file uses are refused for PNG tiles.
        let refused = try TesseraProcess.run(["embed", tiles, "-o", folder.file("c.safetensors"), "--level", "1"] + model)
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--level applies to a whole-slide file"), refused.stderr)
    }

    /// Tiles cut at level 2 (downsample 16.053...) are floor(32 x 16.053) = 513 level-0 pixels
    /// apart: with that grid cell every tile has a cell of its own, where the model's default
    /// (256) would put neighbours two cells apart and the tile size of the level (32) would put
    /// them 16 apart. `tessera embed --slide-encoder` and `tessera slide` on its output use the
    /// recorded geometry by default, and give what an explicit `--tile-size 513` gives.
    func testTheSlideEncodersGridFollowsTheRecordedGeometry() throws {
        let downsample = try Self.reference("synth_a").downsamples[2]
        let cell = (32 * downsample).rounded(.down)
        XCTAssertEqual(cell, 513)
        let output = folder.file("l2.safetensors")
        let embed = try TesseraProcess.run(["embed", Fixtures.path("wsi/synth_a.svs"), "--level", "2", "--tile-size", "32",
                                            "--tile-encoder", Fixtures.path("tile_student"),
                                            "--slide-encoder", Fixtures.path("slide_encoder_16h"), "-o", output])
        XCTAssertEqual(embed.status, 0, embed.stderr)
        XCTAssertFalse(embed.stderr.contains("share"), embed.stderr)
        let embedded = try SafeTensors.read(path: output)
        XCTAssertEqual(embedded.metadata["tile_downsample"].flatMap(Double.init), downsample)
        // Tiles k steps of 32 level-2 pixels apart sit k cells apart (so neighbours in neighbouring cells).
        let coords = try XCTUnwrap(embedded["coords"]).floats()
        for axis in 0..<2 {
            let values = Set(stride(from: axis, to: coords.count, by: 2).map { Double(coords[$0]) }).sorted()
            XCTAssertGreaterThan(values.count, 2)
            for (a, b) in zip(values, values.dropFirst()) {
                let steps = ((b - a) / (32 * downsample)).rounded()
                XCTAssertEqual((b / cell).rounded(.down) - (a / cell).rounded(.down), steps, "\(a) and \(b)")
            }
        }
        let slideOutputs = ["layer_0_embed", "last_layer_embed", "encoder_out_embed", "global_pool_embed", "slide_embed"]
        func slide(_ extra: [String]) throws -> StateDict {
            let path = folder.file("slide\(extra.count).safetensors")
            let result = try TesseraProcess.run(["slide", output, "--slide-encoder", Fixtures.path("slide_encoder_16h"), "-o", path] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            return try SafeTensors.read(path: path)
        }
        let recorded = try slide([]), explicit = try slide(["--tile-size", "513"]), level = try slide(["--tile-size", "32", "--coord-scale", "1"])
        for name in slideOutputs {
            let got = try XCTUnwrap(recorded[name]).floats().map(\.bitPattern)
            XCTAssertEqual(got, try XCTUnwrap(explicit[name]).floats().map(\.bitPattern), name)
            XCTAssertEqual(got, try XCTUnwrap(embedded[name]).floats().map(\.bitPattern), name)
            // layer_0_embed is the class token before any layer: no tile's position reaches it.
            if name != "layer_0_embed" { XCTAssertNotEqual(got, try XCTUnwrap(level[name]).floats().map(\.bitPattern), name) }
        }
    }

    /// `tessera-edge run BUNDLE SLIDE.svs` writes what it writes on the tiled folder, with a slide
    /// encoder in the bundle.
    func testEdgeRunOfASlideFileEqualsItsRunOnTheTiledFolder() throws {
        var bundle = ""
        for slide in ["synth_a", "synth_b"] {
            bundle = folder.file("\(slide).tsb")
            let export = try TesseraProcess.run(["export", "--weights", "int8", "-o", bundle] + Self.models)
            XCTAssertEqual(export.status, 0, export.stderr)
            let tiles = try tiled(slide)
            let fromFile = folder.file("\(slide).edge-file.safetensors"), fromFolder = folder.file("\(slide).edge-folder.safetensors")
            let file = try TesseraProcess.run(["run", bundle, Fixtures.path("wsi/\(slide).svs"), "-o", fromFile], program: "tessera-edge")
            XCTAssertEqual(file.status, 0, file.stderr)
            XCTAssertTrue(file.stderr.contains("select: "), file.stderr)
            let folderRun = try TesseraProcess.run(["run", bundle, tiles, "-o", fromFolder], program: "tessera-edge")
            XCTAssertEqual(folderRun.status, 0, folderRun.stderr)
            Self.assertSame(try SafeTensors.read(path: fromFile), try SafeTensors.read(path: fromFolder), slide)
        }
        // A file that is no slide: exit status 1, a message naming it, no output.
        let bogus = folder.file("notes.svs"), output = folder.file("out.safetensors")
        try Data("not a slide".utf8).write(to: URL(fileURLWithPath: bogus))
        for (program, arguments) in [("tessera", ["embed", bogus, "--tile-encoder", Fixtures.path("tile_student")]),
                                     ("tessera-edge", ["run", bundle, bogus])] {
            let result = try TesseraProcess.run(arguments + ["-o", output], program: program)
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains("\(bogus): not a whole-slide image OpenSlide can open"), result.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output))
        }
    }
}
