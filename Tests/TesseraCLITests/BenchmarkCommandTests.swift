import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TestSupport
import XCTest

/// `tessera benchmark` prints the one JSON object bench/tile_encoder.py and bench/edge.py
/// read, and times the model's own forward on the given batch.
final class BenchmarkCommandTests: XCTestCase {
    func testBenchmarkPrintsOneJSONObjectAndTheForwardsEmbeddings() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let model = try VisionTransformer.load(path: Fixtures.path("tile_teacher")).model
        let images = Tensor(shape: [2, 3, 224, 224], floats: (0..<(2 * 3 * 224 * 224)).map { Float($0 % 97) / 48 - 1 })
        var dict = StateDict()
        dict.set("input", images)
        let input = folder.file("input.safetensors"), output = folder.file("embedding.safetensors")
        try SafeTensors.write(dict, to: input)
        let result = try TesseraProcess.run(["benchmark", "--tile-encoder", Fixtures.path("tile_teacher"), "--input", input,
                                             "--iterations", "2", "--threads", "1", "-o", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.split(separator: "\n").count, 1, result.stdout)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let msPerTile = try XCTUnwrap(json["ms_per_tile"] as? Double)
        XCTAssertGreaterThan(msPerTile, 0)
        XCTAssertLessThanOrEqual(try XCTUnwrap(json["best_ms_per_tile"] as? Double), msPerTile)
        XCTAssertGreaterThan(try XCTUnwrap(json["cpu_ms_per_tile"] as? Double), 0)
        let gflopPerTile = try XCTUnwrap(json["gflop_per_tile"] as? Double)
        XCTAssertEqual(gflopPerTile, 2 * Double(model.config.multiplyAdds) / 1e9, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(json["gflops"] as? Double), gflopPerTile / msPerTile * 1000, accuracy: 1e-6 * gflopPerTile / msPerTile * 1000)
        XCTAssertGreaterThan(try XCTUnwrap(json["sgemm_gflops"] as? Double), 0)
        XCTAssertEqual(json["batch"] as? Int, 2)
        XCTAssertEqual(json["threads"] as? Int, 1)
        XCTAssertEqual(json["weights"] as? String, "f32")
        XCTAssertEqual(json["architecture"] as? String, "vit_giant_patch14_dinov2")
        let embedding = try XCTUnwrap(try SafeTensors.read(path: output)["embedding"])
        // The same model and images: equal to float rounding (the threads may split OpenBLAS's work differently).
        XCTAssertEqual(embedding.shape, [2, model.config.embedDim])
        XCTAssertLessThan(relativeError(embedding.floats(), try model.forward(images).embedding.floats()), 1e-5)
        XCTAssertEqual(json["precision"] as? String, "f32")

        // --precision bf16: the model's bf16 forward, bit for bit (its products do not depend on threads).
        let bf16 = try TesseraProcess.run(["benchmark", "--tile-encoder", Fixtures.path("tile_teacher"), "--input", input,
                                           "--iterations", "1", "--threads", "2", "--precision", "bf16", "-o", output])
        XCTAssertEqual(bf16.status, 0, bf16.stderr)
        let bf16JSON = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bf16.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(bf16JSON["precision"] as? String, "bf16")
        XCTAssert((bf16JSON["kernel"] as? String ?? "").hasPrefix("bf16-"), bf16.stdout)
        let bf16Model = try VisionTransformer.load(path: Fixtures.path("tile_teacher"), precision: .bf16).model
        XCTAssertEqual(try XCTUnwrap(try SafeTensors.read(path: output)["embedding"]).floats().map(\.bitPattern),
                       try bf16Model.forward(images).embedding.floats().map(\.bitPattern))

        let refused = try TesseraProcess.run(["benchmark", "--tile-encoder", Fixtures.path("tile_teacher"), "--precision", "f16"])
        XCTAssertEqual(refused.status, 64)
        XCTAssert(refused.stderr.contains("--precision"), refused.stderr)
    }
}
