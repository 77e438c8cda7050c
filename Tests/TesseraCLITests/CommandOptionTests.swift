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
            for threads in ["0", "1025", "9223372036854775807"] {
                let result = try TesseraProcess.run(arguments + ["--threads", threads])
                XCTAssertEqual(result.status, 64, arguments[0])
                XCTAssertTrue(result.stderr.contains("--threads must be in 1...1024, got \(threads)"), result.stderr)
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testBenchmarkRefusesAnEmptyBatch() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let noise = try TesseraProcess.run(["benchmark", "--tile-encoder", Fixtures.path("tile_teacher"), "--batch", "0"])
        XCTAssertEqual(noise.status, 64, noise.stderr)
        XCTAssertTrue(noise.stderr.contains("--batch must be in 1...1024, got 0"), noise.stderr)
        for (option, value, bounds) in [("--batch", "1000000000", "1...1024"), ("--iterations", "9223372036854775807", "1...100000")] {
            let huge = try TesseraProcess.run(["benchmark", "--tile-encoder", Fixtures.path("tile_teacher"), option, value])
            XCTAssertEqual(huge.status, 64, huge.stderr)
            XCTAssertTrue(huge.stderr.contains("\(option) must be in \(bounds), got \(value)"), huge.stderr)
        }

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
