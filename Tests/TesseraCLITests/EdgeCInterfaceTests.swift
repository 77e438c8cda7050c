import Foundation
import TesseraCore
import TesseraImage
import TesseraFormats
import TesseraModels
import TestSupport
import XCTest

/// The C interface (Sources/TesseraEdge/include/tessera_edge.h): Tests/EdgeC/test_edge.c is
/// compiled with cc against the built libTesseraEdge and run. Its slide-folder output equals
/// `tessera-edge run`'s, and a tile handed over as RGB bytes gets the embedding the folder run
/// gives its PNG (to float rounding: other batch sizes); its failure checks pass, the bundle it
/// was asked to write over intact.
final class EdgeCInterfaceTests: XCTestCase {
    func testCProgramAgainstTheLibrary() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let root = URL(fileURLWithPath: Fixtures.root).deletingLastPathComponent().path
        let library = try TesseraProcess.product("libTesseraEdge.so")
        let libraryFolder = URL(fileURLWithPath: library).deletingLastPathComponent().path
        let program = folder.file("test_edge")
        let compile = try Self.shell("/usr/bin/env", ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror",
                                                      "-I", root + "/Sources/TesseraEdge/include", root + "/Tests/EdgeC/test_edge.c",
                                                      "-L", libraryFolder, "-lTesseraEdge", "-Wl,-rpath," + libraryFolder, "-o", program])
        XCTAssertEqual(compile.status, 0, compile.output)

        let bundle = folder.file("student.tsb"), slide = Fixtures.path("slide_folder/demo_slide")
        let export = try TesseraProcess.run(["export", "--tile-encoder", Fixtures.path("tile_student"), "--slide-encoder",
                                             Fixtures.path("slide_encoder_16h"), "--weights", "f32", "-o", bundle])
        XCTAssertEqual(export.status, 0, export.stderr)
        let bundleBytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
        let tileName = "41216x_13056y.png"
        let tile = try PNGDecoder().decode(path: slide + "/" + tileName)
        try Data(tile.pixels).write(to: URL(fileURLWithPath: folder.file("tile.rgb")))

        // A bundle with a fine-tuned classifier (upstream's checkpoint.pt on the fixture teacher).
        let classifier = folder.file("classifier.tsb")
        let exportClassifier = try TesseraProcess.run(["export", "--tile-encoder", Fixtures.path("tile_teacher"), "--slide-encoder",
                                                       Fixtures.path("classifier_run"), "--weights", "f32", "-o", classifier])
        XCTAssertEqual(exportClassifier.status, 0, exportClassifier.stderr)

        let run = try Self.shell(program, [bundle, slide, folder.file("c.safetensors"), folder.file("tile.rgb"), String(tile.width),
                                           String(tile.height), folder.file("tile.f32"), Fixtures.path("hostile_bundles/tensor_checksum.tsb"),
                                           classifier, folder.file("prediction.f32")])
        XCTAssertEqual(run.status, 0, run.output)
        // The C logits and probabilities are those tessera-edge run writes, bit for bit.
        let classified = try TesseraProcess.run(["run", classifier, slide, "-o", folder.file("classifier.safetensors")], program: "tessera-edge")
        XCTAssertEqual(classified.status, 0, classified.stderr)
        let prediction = try Data(contentsOf: URL(fileURLWithPath: folder.file("prediction.f32"))).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let written = try SafeTensors.read(path: folder.file("classifier.safetensors"))
        XCTAssertEqual(prediction, written["logits"]!.floats() + written["probabilities"]!.floats())
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: bundle)), bundleBytes, "the bundle as output_path is refused")

        let edge = try TesseraProcess.run(["run", bundle, slide, "-o", folder.file("edge.safetensors")], program: "tessera-edge")
        XCTAssertEqual(edge.status, 0, edge.stderr)
        let fromC = try SafeTensors.read(path: folder.file("c.safetensors"))
        let expected = try SafeTensors.read(path: folder.file("edge.safetensors"))
        XCTAssertEqual(fromC.names, expected.names)
        XCTAssertEqual(fromC.metadata, expected.metadata)
        for name in expected.names { XCTAssertTrue(fromC[name]!.isBitIdentical(to: expected[name]!), name) }

        let names = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(expected.metadata["tile_names"]).utf8))
        let row = try XCTUnwrap(names.firstIndex(of: tileName))
        let d = expected["tile_embeds"]!.shape[1]
        let embedding = try Data(contentsOf: URL(fileURLWithPath: folder.file("tile.f32"))).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        // The C call embeds a batch of 2, the folder run batches of 8: the products' bits depend on
        // the batch's row count (OpenBLAS picks kernels by size), so the rows agree to float rounding.
        // Bit-identity of RGB buffers and PNG tiles at one batch size: OneWayThroughTests.
        XCTAssertLessThanOrEqual(relativeError(embedding, Array(expected["tile_embeds"]!.floats()[(row * d)..<((row + 1) * d)])), 1e-6)
    }

    /// Runs `program` and returns its exit status with stdout and stderr together.
    static func shell(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
