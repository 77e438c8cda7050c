import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// Options every computing command shares, bad arguments refused before any
/// work (exit status 64, ArgumentParser's validation failure), and the help examples.
final class CommandOptionTests: XCTestCase {
    func testZeroThreadsIsRefusedByEveryCommand() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let output = folder.file("out.safetensors")
        let commands = [
            ["embed", Fixtures.path("slide_folder/demo_slide"), "--tile-encoder", Fixtures.path("tile_teacher"), "-o", output],
            ["slide", "features.safetensors", "--slide-encoder", Fixtures.path("slide_encoder"), "-o", output],
            ["benchmark", "--tile-encoder", Fixtures.path("tile_teacher")],
        ]
        for arguments in commands {
            let result = try TesseraProcess.run(arguments + ["--threads", "0"])
            XCTAssertEqual(result.status, 64, arguments[0])
            XCTAssertTrue(result.stderr.contains("--threads must be at least 1"), result.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testBenchmarkRefusesAnEmptyBatch() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let noise = try TesseraProcess.run(["benchmark", "--tile-encoder", Fixtures.path("tile_teacher"), "--batch", "0"])
        XCTAssertEqual(noise.status, 64, noise.stderr)
        XCTAssertTrue(noise.stderr.contains("--batch must be at least 1"), noise.stderr)

        var dict = StateDict()
        dict.set("input", Tensor(zeros: [0, 3, 224, 224], dtype: .f32))
        let input = folder.file("empty.safetensors")
        try SafeTensors.write(dict, to: input)
        let file = try TesseraProcess.run(["benchmark", "--tile-encoder", Fixtures.path("tile_teacher"), "--input", input])
        XCTAssertEqual(file.status, 1, "a bad input file is a runtime failure, not a usage error: \(file.stderr)")
        XCTAssertTrue(file.stderr.contains("tensor `input` has shape [0, 3, 224, 224]"), file.stderr)
    }

    func testHelpHasExamples() throws {
        for command in ["embed", "slide", "benchmark"] {
            let result = try TesseraProcess.run([command, "--help"])
            XCTAssertEqual(result.status, 0)
            XCTAssertTrue(result.stdout.contains(":\n  tessera \(command) "), result.stdout)
        }
    }
}
