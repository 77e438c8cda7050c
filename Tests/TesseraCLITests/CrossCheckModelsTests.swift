import Foundation
import TesseraCore
import TestSupport
import XCTest
@testable import tessera_crosscheck

/// The host cross-check program's model results against the reference pipeline's output
/// (fixtures/slide_folder/expected.safetensors). `scripts/cross-check` holds the aarch64
/// Embedded build to the host's results (1e-5 relative), so this closes the chain from the
/// aarch64 build to the reference.
final class CrossCheckModelsTests: XCTestCase {
    func testModelResultsMatchTheReferencePipeline() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let bundle = folder.file("fixture-f32.tsb"), results = folder.file("host.txt")
        let export = try TesseraProcess.run(["export", "--tile-encoder", Fixtures.path("tile_teacher"),
                                             "--slide-encoder", Fixtures.path("slide_encoder"), "--weights", "f32", "-o", bundle])
        XCTAssertEqual(export.status, 0, export.stderr)
        // The reference's row order: the tiles as listed.
        let slide = Fixtures.path("slide_folder/demo_slide")
        let tiles = try String(contentsOfFile: Fixtures.path("slide_folder/tiles.txt"), encoding: .utf8)
            .split(separator: "\n").map { slide + "/" + $0 }
        let run = try TesseraProcess.run(["run", results, "--slide", bundle] + tiles, program: "tessera-crosscheck")
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)

        var computed: [String: ResultSet.Entry] = [:]
        for entry in try ResultSet.read(path: results).entries { computed[entry.name] = entry }
        let expected = try Fixtures.load("slide_folder/expected.safetensors")
        XCTAssertEqual(Set(expected.names), ["tile_embeds", "coords", "last_layer_embed", "encoder_out_embed"])
        for name in expected.names {
            let reference = try XCTUnwrap(expected[name])
            let entry = try XCTUnwrap(computed[name], "\(name) missing from the cross-check results")
            XCTAssertEqual(entry.shape, reference.shape, name)
            XCTAssertLessThanOrEqual(relativeError(entry.values, reference.floats()), 1e-4, name)
        }
        // The slide outputs the reference does not write are there, of the slide encoder's width.
        for name in ["layer_0_embed", "layer_2_embed", "global_pool_embed", "slide_embed"] {
            XCTAssertEqual(computed[name]?.shape, [64], name)
        }
    }
}
