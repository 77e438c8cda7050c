import XCTest
import Foundation
import TesseraCore
import TesseraFormats
import TestSupport

/// `tessera slide` end to end: the built tool on a features file cut from the golden data.
final class SlideCommandTests: XCTestCase {
    func testSlideCommandWritesEveryOutputKey() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let expected = try Fixtures.load("slide_encoder/expected.safetensors")
        var features = StateDict()
        features.set("tile_embeds", try XCTUnwrap(expected["n9.tile_embeds"]))
        features.set("coords", try XCTUnwrap(expected["n9.coords"]))
        try SafeTensors.write(features, to: folder.file("features.safetensors"))

        let result = try TesseraProcess.run(["slide", folder.file("features.safetensors"),
                                             "--slide-encoder", Fixtures.path("slide_encoder"),
                                             "-o", folder.file("out.safetensors"), "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("2/2 layers"), result.stderr)
        let out = try SafeTensors.read(path: folder.file("out.safetensors"))
        for key in ["layer_0_embed", "layer_1_embed", "layer_2_embed", "encoder_out_embed", "global_pool_embed"] {
            let err = relativeError(try XCTUnwrap(out[key], key).floats(), try XCTUnwrap(expected["n9." + key]).floats())
            XCTAssertLessThan(err, 1e-4, key)
        }
        XCTAssertEqual(out["last_layer_embed"]?.floats(), out["layer_2_embed"]?.floats())
        XCTAssertEqual(out["slide_embed"]?.floats(), out["global_pool_embed"]?.floats())
    }

    func testSlideCommandRejectsCoordinatesOutsideTheGrid() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let expected = try Fixtures.load("slide_encoder/expected.safetensors")
        var features = StateDict()
        features.set("tile_embeds", try XCTUnwrap(expected["n9.tile_embeds"]))
        var coords = try XCTUnwrap(expected["n9.coords"]).floats()
        coords[2 * 4] = 300_000  // tile 4 beyond the 1000-cell grid
        features.set("coords", Tensor(shape: [9, 2], floats: coords))
        try SafeTensors.write(features, to: folder.file("features.safetensors"))
        // With the tile names `tessera embed` records, the error names the file.
        features.metadata["tile_names"] = "[" + (0..<9).map { "\"t\($0).png\"" }.joined(separator: ",") + "]"
        try SafeTensors.write(features, to: folder.file("named.safetensors"))
        let named = try TesseraProcess.run(["slide", folder.file("named.safetensors"), "--slide-encoder", Fixtures.path("slide_encoder"),
                                            "-o", folder.file("out.safetensors")])
        XCTAssertNotEqual(named.status, 0)
        XCTAssertTrue(named.stderr.contains("t4.png"), named.stderr)
        let unnamed = try TesseraProcess.run(["slide", folder.file("features.safetensors"),
                                              "--slide-encoder", Fixtures.path("slide_encoder"),
                                              "-o", folder.file("out.safetensors")])
        XCTAssertNotEqual(unnamed.status, 0)
        XCTAssertTrue(unnamed.stderr.contains("tile 4"), unnamed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("out.safetensors")))
    }

    /// Both stages on the demo slide folder: tile teacher then slide encoder, against
    /// the reference pipeline's output (fixtures/slide_folder/expected.safetensors).
    func testEmbedWithSlideEncoderMatchesTheReferencePipeline() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let result = try TesseraProcess.run(["embed", Fixtures.path("slide_folder/demo_slide"),
                                             "--tile-encoder", Fixtures.path("tile_teacher"),
                                             "--slide-encoder", Fixtures.path("slide_encoder"),
                                             "-o", folder.file("demo.safetensors")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let out = try SafeTensors.read(path: folder.file("demo.safetensors"))
        let expected = try Fixtures.load("slide_folder/expected.safetensors")
        for key in ["tile_embeds", "coords", "last_layer_embed", "encoder_out_embed"] {
            let err = relativeError(try XCTUnwrap(out[key], key).floats(), try XCTUnwrap(expected[key], key).floats())
            XCTAssertLessThan(err, 1e-4, key)
        }
        for key in ["layer_0_embed", "layer_2_embed", "global_pool_embed", "slide_embed"] {
            XCTAssertEqual(out[key]?.shape, [64], key)
        }
        XCTAssertEqual(out["slide_embed"]?.floats(), out["global_pool_embed"]?.floats())
    }
}
