import Foundation
import TesseraImage
import TesseraPipeline
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
        let written = try FileManager.default.contentsOfDirectory(atPath: out)
            .filter { $0.hasSuffix(".png") && $0 != "thumbnail.png" }.sorted()
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

    /// thumbnail.png: synth_b's level 1 as it is (583 x 694 in its roi.json, the smallest level
    /// with 512 pixels across; downsample 4.001578094028206); every kept tile's outline is green
    /// there (its corners at its name / the downsample, rounded down), and no other pixel is.
    func testThumbnailOutlinesTheKeptTiles() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let result = try TesseraProcess.run(["tile", Fixtures.path("wsi/synth_b.svs"), "-o", folder.path, "--threads", "2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let out = folder.file("synth_b.svs")
        let thumbnail = try PNGDecoder().decode(path: out + "/thumbnail.png")
        XCTAssertEqual([thumbnail.width, thumbnail.height], [583, 694])
        func scaled(_ v: Int) -> Int { Int((Double(v) / 4.001578094028206).rounded(.down)) }
        let rows = try String(contentsOfFile: out + "/dataset.csv", encoding: .utf8).split(separator: "\n").dropFirst()
        let corners = rows.map { row -> (Int, Int) in
            let fields = row.split(separator: ",")
            return (Int(fields[4])!, Int(fields[5])!)  // tile_x, tile_y: the true level-0 corner in this mode
        }
        XCTAssertEqual(corners.count, 44)
        // Commands that read the folder take the tiles, not the picture.
        XCTAssertEqual(try TileList.resolve([out]).count, 44)
        func isGreen(_ u: Int, _ v: Int) -> Bool {
            let i = 3 * (v * thumbnail.width + u)
            return thumbnail.pixels[i] == 0 && thumbnail.pixels[i + 1] == 255 && thumbnail.pixels[i + 2] == 0
        }
        var outline = Set<Int>()
        for (x, y) in corners {
            let u0 = scaled(x), v0 = scaled(y), u1 = min(scaled(x + 255), thumbnail.width - 1), v1 = min(scaled(y + 255), thumbnail.height - 1)
            for u in max(u0, 0)...u1 {
                for v in [v0, v1] where v >= 0 { outline.insert(v * thumbnail.width + u) }
            }
            for v in max(v0, 0)...v1 {
                for u in [u0, u1] where u >= 0 { outline.insert(v * thumbnail.width + u) }
            }
            XCTAssertTrue(isGreen(max(u0, 0), max(v0, 0)) && isGreen(u1, v1), "tile at (\(x), \(y))")
        }
        for v in 0..<thumbnail.height {
            for u in 0..<thumbnail.width where isGreen(u, v) {
                XCTAssertTrue(outline.contains(v * thumbnail.width + u), "green pixel (\(u), \(v)) on no tile's outline")
            }
        }
    }

    /// --mpp: synth_b records 0.5 microns per pixel (its roi.json), so levels 0-3 have about 0.5,
    /// 2.0, 8.0 and 32.3; 1.5 is nearest level 1, whose tiles are then named by level-0 corners
    /// 4 pixels apart.
    func testMPPPicksTheNearestLevel() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let result = try TesseraProcess.run(["tile", Fixtures.path("wsi/synth_b.svs"), "-o", folder.path, "--mpp", "1.5"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("synth_b.svs: level 1 ("), result.stderr)
        XCTAssertTrue(result.stderr.contains("at level 1 from"), result.stderr)
        let both = try TesseraProcess.run(["tile", Fixtures.path("wsi/synth_b.svs"), "-o", folder.path, "--mpp", "1.5", "--level", "0"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
    }

    /// A slide that records no microns per pixel (synth_b with its ImageDescription's "MPP" key
    /// renamed, so OpenSlide sets no openslide.mpp-x): a clear error naming it, nothing written.
    func testMPPOnASlideWithoutMicronsPerPixelIsAClearError() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("wsi/synth_b.svs")))
        let key = try XCTUnwrap(bytes.range(of: Data("MPP = 0.5".utf8)))
        bytes.replaceSubrange(key, with: Data("XPP = 0.5".utf8))
        let slide = folder.file("nompp.svs")
        try bytes.write(to: URL(fileURLWithPath: slide))
        let out = folder.file("out")
        let result = try TesseraProcess.run(["tile", slide, "-o", out, "--mpp", "0.5"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("nompp.svs: the slide records no microns per pixel"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/nompp.svs"))
    }
}
