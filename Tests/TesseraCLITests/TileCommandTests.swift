import Foundation
import TestSupport
import XCTest

/// `tessera tile` end to end on a synthetic slide (the pixels themselves: TesseraSlideTests).
final class TileCommandTests: XCTestCase {
    func testWritesUpstreamsTilesAndDatasetCSV() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let slide = Fixtures.path("wsi/synth_b.svs")
        let result = try TesseraProcess.run(["tile", slide, "-o", folder.path, "--compat", "prov-gigapath", "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("synth_b.svs: 44 of 77 tiles kept"), result.stderr)
        let out = folder.file("synth_b.svs")
        let csv = try String(contentsOfFile: out + "/dataset.csv", encoding: .utf8)
        XCTAssertEqual(csv, try String(contentsOfFile: Fixtures.path("wsi/synth_b.dataset.csv"), encoding: .utf8))
        let expected = try String(contentsOfFile: Fixtures.path("wsi/synth_b.tiles.tsv"), encoding: .utf8)
            .split(separator: "\n").map { String($0.split(separator: "\t")[0]) }
        let written = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".png") }.sorted()
        XCTAssertEqual(written, expected.sorted())
        XCTAssertTrue(written.contains("-0055x_01139y.png"), "upstream's negative names")
    }

    func testRefusesAnOutputFolderHoldingTheSlide() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let slide = folder.file("a.svs")
        try FileManager.default.copyItem(atPath: Fixtures.path("wsi/synth_b.svs"), toPath: slide)
        let result = try TesseraProcess.run(["tile", slide, "-o", folder.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("-o"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("a.svs/dataset.csv")))
    }
}
