import Foundation
import TesseraFormats
import TestSupport
import XCTest

/// The damaged and fake slides of fixtures/wsi/hostile/ given to the commands that stream a
/// whole-slide file (`tessera embed`, `tessera-edge run`): each broken file is refused as `tessera
/// tile` refuses it (exit status 1, the same words, naming the file, no output); a corrupt tile is
/// reported by name and skipped, the rest embedded. scripts/cross-check runs the aarch64
/// `tessera-edge` on the same files against this build's messages.
final class HostileSlideInputTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder.cleanUp() }

    func path(_ name: String) -> String { Fixtures.path("wsi/hostile/\(name)") }

    /// The two commands on `slide`, writing `output`: `tessera embed` with the fixture student and
    /// `tessera-edge run` with its f32 bundle.
    private func commands(_ slide: String, _ output: String) throws -> [(program: String, arguments: [String])] {
        let bundle = folder.file("student.tsb")
        if !FileManager.default.fileExists(atPath: bundle) {
            let export = try TesseraProcess.run(["export", "--tile-encoder", Fixtures.path("tile_student"), "--weights", "f32", "-o", bundle])
            XCTAssertEqual(export.status, 0, export.stderr)
        }
        return [("tessera", ["embed", slide, "--tile-encoder", Fixtures.path("tile_student"), "-o", output]),
                ("tessera-edge", ["run", bundle, slide, "-o", output])]
    }

    func testEachBrokenSlideIsRefusedByNameWithNothingWritten() throws {
        let output = folder.file("out.safetensors")
        for (name, words) in HostileTileCommandTests.refused.sorted(by: { $0.key < $1.key }) {
            for (program, arguments) in try commands(path(name), output) {
                let result = try TesseraProcess.run(arguments, program: program)
                XCTAssertEqual(result.status, 1, "\(program) \(name): \(result.stderr)")
                XCTAssertTrue(result.stderr.contains(path(name) + ": ") && result.stderr.contains(words), "\(program) \(name): \(result.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(program) \(name)")
            }
        }
    }

    /// The tiles `tessera tile` skips are skipped by name, the others embedded as from the folder
    /// `tessera tile` writes.
    func testACorruptTileIsReportedByNameAndTheRestEmbedded() throws {
        let tile = try TesseraProcess.run(["tile", path("corrupt-tile.svs"), "-o", folder.file("tiles")])
        XCTAssertEqual(tile.status, 0, tile.stderr)
        let skipped = Set(tile.stderr.split(separator: "\n").filter { $0.hasPrefix("skipped ") })
        XCTAssertEqual(skipped.count, 4, tile.stderr)
        for (program, arguments) in try commands(path("corrupt-tile.svs"), folder.file("file.safetensors")) {
            let fromFile = try TesseraProcess.run(arguments, program: program)
            XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
            XCTAssertEqual(Set(fromFile.stderr.split(separator: "\n").filter { $0.hasPrefix("skipped ") }), skipped, program)
            let folderArguments = try commands(folder.file("tiles/corrupt-tile.svs"), folder.file("folder.safetensors"))
                .first { $0.program == program }!.arguments
            let fromFolder = try TesseraProcess.run(folderArguments, program: program)
            XCTAssertEqual(fromFolder.status, 0, fromFolder.stderr)
            let a = try SafeTensors.read(path: folder.file("file.safetensors")), b = try SafeTensors.read(path: folder.file("folder.safetensors"))
            XCTAssertEqual(a["tile_embeds"]?.shape, [2, 64], program)
            XCTAssertEqual(a["tile_embeds"]?.floats().map(\.bitPattern), b["tile_embeds"]?.floats().map(\.bitPattern), program)
            XCTAssertEqual(a.metadata["tile_names"], b.metadata["tile_names"], program)
        }
        // Both summaries count them.
        for (program, arguments) in try commands(path("corrupt-tile.svs"), folder.file("summary.safetensors")) {
            let result = try TesseraProcess.run(arguments, program: program)
            XCTAssertTrue(result.stderr.contains("embedded 2 tiles (4 skipped)"), "\(program): \(result.stderr)")
        }
    }
}
