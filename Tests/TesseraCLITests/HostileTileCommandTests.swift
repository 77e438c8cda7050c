import Foundation
import TestSupport
import XCTest

/// `tessera tile` on the damaged and fake slides of fixtures/wsi/hostile/: a slide that cannot be
/// tiled is an error naming it, exit status 1 and nothing left in OUT for it (the other slides
/// are still tiled); a corrupt tile is reported by name and coordinates and skipped.
final class HostileTileCommandTests: XCTestCase {
    func path(_ name: String) -> String { Fixtures.path("wsi/hostile/\(name)") }

    /// Every whole-file failure, with the words its message must hold.
    static let refused = [
        "huge.svs": "damaged TIFF structure: IFD 0 claims 1000000x1000000 pixels",
        "huge-tile.svs": "damaged TIFF structure: IFD 0 claims 65536x65536-pixel tiles",
        "truncated.svs": "damaged TIFF structure: IFD 0 tile 4 (column 1, row 1)",
        "bad-offset.svs": "damaged TIFF structure: IFD 0 tile 1 (column 1, row 0): 3362 bytes at offset 4294967040",
        "huge-bytecount.svs": "damaged TIFF structure: IFD 0 tile 1 (column 1, row 0): 4294967280 bytes",
        "ifd-loop.svs": "the chain loops",
        "levels-disagree.svs": "the pyramid's levels disagree: level 1 is 192x512",
        "not-a-slide.svs": "not a whole-slide image OpenSlide can open",
        "png-renamed.svs": "not a whole-slide image OpenSlide can open",
        "empty.svs": "empty file",
    ]

    func testEachBrokenSlideIsAnErrorNamingItWithNothingWritten() throws {
        for (name, words) in Self.refused.sorted(by: { $0.key < $1.key }) {
            let out = try TemporaryFolder()
            defer { out.cleanUp() }
            let result = try TesseraProcess.run(["tile", path(name), "-o", out.path, "--threads", "2"])
            XCTAssertEqual(result.status, 1, name)
            XCTAssertTrue(result.stderr.contains(path(name) + ": "), "\(name): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(words), "\(name): \(result.stderr)")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [], name)
        }
    }

    func testAFolderIsRefusedAndTheOtherSlidesAreStillTiled() throws {
        let out = try TemporaryFolder()
        defer { out.cleanUp() }
        let inputs = try TemporaryFolder()
        defer { inputs.cleanUp() }
        try FileManager.default.createDirectory(atPath: inputs.file("folder.svs"), withIntermediateDirectories: false)
        let result = try TesseraProcess.run(["tile", inputs.file("folder.svs"), path("clean.svs"), path("truncated.svs"), "-o", out.path])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(inputs.file("folder.svs") + ": not a regular file"), result.stderr)
        XCTAssertTrue(result.stderr.contains("2 of 3 slides not tiled"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["clean.svs"])
    }

    func testACorruptTileIsReportedAndSkipped() throws {
        let out = try TemporaryFolder()
        defer { out.cleanUp() }
        let clean = try TesseraProcess.run(["tile", path("clean.svs"), "-o", out.path, "--tile-size", "128"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        let result = try TesseraProcess.run(["tile", path("corrupt-tile.svs"), "-o", out.path, "--tile-size", "128"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let skipped = result.stderr.split(separator: "\n").filter { $0.hasPrefix("skipped ") }
        XCTAssertFalse(skipped.isEmpty, result.stderr)
        let written = Set(try FileManager.default.contentsOfDirectory(atPath: out.file("corrupt-tile.svs")))
        let cleanTiles = Set(try FileManager.default.contentsOfDirectory(atPath: out.file("clean.svs")))
        for line in skipped {
            XCTAssertTrue(line.hasPrefix("skipped \(path("corrupt-tile.svs")): tile "), String(line))
            XCTAssertTrue(line.hasSuffix("cannot be read: OpenSlide: Premature end of JPEG file"), String(line))
            let name = String(line.split(separator: " ")[3])
            XCTAssertFalse(written.contains(name), name)
        }
        // The rest: the clean slide's tiles less the skipped ones, byte for byte.
        let isTile = { (name: String) in name.hasSuffix(".png") && name != "thumbnail.png" }
        let kept = written.filter(isTile)
        XCTAssertFalse(kept.isEmpty)
        for name in kept {
            XCTAssertEqual(FileManager.default.contents(atPath: out.file("corrupt-tile.svs/" + name)),
                           FileManager.default.contents(atPath: out.file("clean.svs/" + name)), name)
        }
        XCTAssertEqual(kept.count + skipped.count(where: { cleanTiles.contains(String($0.split(separator: " ")[3])) }),
                       cleanTiles.filter(isTile).count)
        // The picture is still drawn, from the next level (the corrupt tile is on level 0).
        XCTAssertTrue(written.contains("thumbnail.png"))
    }

    /// A run that fails leaves the earlier run's folder as it was; one that succeeds replaces it
    /// whole (nothing of the earlier run stays).
    func testAFailedRunKeepsTheEarlierOutputAndASuccessfulOneReplacesIt() throws {
        let out = try TemporaryFolder()
        defer { out.cleanUp() }
        let inputs = try TemporaryFolder()
        defer { inputs.cleanUp() }
        let slide = inputs.file("clean.svs")
        try FileManager.default.copyItem(atPath: path("clean.svs"), toPath: slide)
        XCTAssertEqual(try TesseraProcess.run(["tile", slide, "-o", out.path]).status, 0)
        let first = try FileManager.default.contentsOfDirectory(atPath: out.file("clean.svs")).sorted()
        try FileManager.default.removeItem(atPath: slide)
        try FileManager.default.copyItem(atPath: path("truncated.svs"), toPath: slide)
        let failed = try TesseraProcess.run(["tile", slide, "-o", out.path])
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.file("clean.svs")).sorted(), first)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), ["clean.svs"])
        try FileManager.default.removeItem(atPath: slide)
        try FileManager.default.copyItem(atPath: path("clean.svs"), toPath: slide)
        XCTAssertTrue(FileManager.default.createFile(atPath: out.file("clean.svs/stale.png"), contents: Data([1])))
        XCTAssertEqual(try TesseraProcess.run(["tile", slide, "-o", out.path]).status, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.file("clean.svs")).sorted(), first)
    }
}
