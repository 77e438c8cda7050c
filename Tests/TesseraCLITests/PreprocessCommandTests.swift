import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

final class PreprocessCommandTests: XCTestCase {
    func testWritesTheReferenceTensorsKeyedByFileName() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let names = ["ihc_crop_300x200.png", "ihc_palette.png"]
        let output = folder.file("tiles.safetensors")
        let result = try TesseraProcess.run(["preprocess"] + names.map { Fixtures.path("preprocess/" + $0) }
                                            + ["-o", output, "--uint8"])
        XCTAssertEqual(result.status, 0, result.stderr)

        let written = try SafeTensors.read(path: output)
        let expected = try Fixtures.load("preprocess/expected.safetensors")
        XCTAssertEqual(written.names, ["ihc_crop_300x200.png", "ihc_crop_300x200.png.uint8",
                                       "ihc_palette.png", "ihc_palette.png.uint8"])
        for name in names {
            let tensor = try XCTUnwrap(written[name])
            let reference = try XCTUnwrap(expected[name])
            XCTAssertEqual(tensor.shape, [3, 224, 224])
            let a = tensor.floats(), b = reference.floats()
            XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? .infinity, 1e-6, name)
            let bytes = try XCTUnwrap(written[name + ".uint8"])
            XCTAssertEqual(bytes.dtype, .u8)
            XCTAssertEqual(bytes.shape, [224, 224, 3])
        }
    }

    func testCorruptImageFailsNamingTheFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let png = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("preprocess/ihc_gray.png")))
        let truncated = folder.file("cut.png")
        try png.prefix(png.count / 2).write(to: URL(fileURLWithPath: truncated))
        let output = folder.file("out.safetensors")
        let result = try TesseraProcess.run(["preprocess", truncated, "-o", output])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("cut.png"), result.stderr)
        XCTAssertTrue(result.stderr.contains("truncated"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testHelpHasAnExample() throws {
        let result = try TesseraProcess.run(["preprocess", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.stdout.contains("Example:"), result.stdout)
    }
}
