import Foundation
import TesseraCore
import TestSupport
import XCTest
@testable import TesseraSlide

/// The damaged and fake slides of fixtures/wsi/hostile/ (fixtures/make_hostile_slides.py, each
/// the clean base slide with one thing wrong): every whole-file problem is a `SlideError` of its
/// own kind naming the file, found before OpenSlide reads a tile (two of these files abort the
/// process inside OpenSlide: formats/tiff-precheck.md); a corrupt tile is skipped, the rest kept.
final class HostileSlideTests: XCTestCase {
    func path(_ name: String) -> String { Fixtures.path("wsi/hostile/\(name)") }

    /// The error opening `file` throws (nil when it opens).
    func openingError(_ file: String) -> SlideError? {
        do {
            _ = try WholeSlide(path: file)
            return nil
        } catch {
            return error
        }
    }

    /// Opening `file` throws `expected`, its message starting with the file's path.
    func assertRefused(_ file: String, _ expected: SlideError.Problem, line: UInt = #line) {
        let error = openingError(file)
        XCTAssertEqual(error, SlideError(path: file, problem: expected), file, line: line)
        XCTAssertEqual(error?.description.hasPrefix(file + ": "), true, error?.description ?? file, line: line)
    }

    func testDamagedTIFFStructuresAreRefusedBeforeOpenSlide() {
        assertRefused(path("huge.svs"), .damagedTIFF("IFD 0 claims 1000000x1000000 pixels (each side 1 to 524288)"))
        assertRefused(path("huge-tile.svs"), .damagedTIFF("IFD 0 claims 65536x65536-pixel tiles (each side 1 to 8192)"))
        assertRefused(path("truncated.svs"), .damagedTIFF(
            "IFD 0 tile 4 (column 1, row 1): 3323 bytes at offset 14283 run past the end of the file (16314 bytes)"))
        assertRefused(path("bad-offset.svs"), .damagedTIFF(
            "IFD 0 tile 1 (column 1, row 0): 3362 bytes at offset 4294967040 run past the end of the file (27190 bytes)"))
        assertRefused(path("huge-bytecount.svs"), .damagedTIFF(
            "IFD 0 tile 1 (column 1, row 0): 4294967280 bytes at offset 3965 run past the end of the file (27190 bytes)"))
        assertRefused(path("ifd-loop.svs"), .damagedTIFF("IFD 3 at offset 8 is an earlier IFD again: the chain loops"))
    }

    func testAPyramidWhoseLevelsDisagreeIsRefused() {
        assertRefused(path("levels-disagree.svs"), .inconsistentLevels(
            "level 1 is 192x512 under a 768x512 level 0 with downsample 2.5: its sides do not shrink by the same factor"))
    }

    func testFilesThatAreNoSlidesAreRefused() throws {
        assertRefused(path("not-a-slide.svs"), .unsupported)
        assertRefused(path("png-renamed.svs"), .unsupported)
        assertRefused(path("empty.svs"), .empty)
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try FileManager.default.createDirectory(atPath: folder.file("folder.svs"), withIntermediateDirectories: false)
        assertRefused(folder.file("folder.svs"), .notAFile)
        assertRefused(folder.file("missing.svs"), .unreadable(errno: ENOENT))
    }

    /// Level 0's TIFF tile at column 1, row 0 (pixels 256..<512 x 0..<256) is damaged: the grid
    /// tiles whose reads touch it are skipped with their coordinates, every other tile is kept
    /// with the clean slide's pixels and occupancy.
    func testACorruptTileIsSkippedAndTheRestKept() throws {
        let clean = try WholeSlide(path: path("clean.svs"))
        let options = TilingOptions(tileSize: 128)  // 24 grid tiles, 8 of them touching the bad one
        let expected = try SlideTiling(slide: clean, options: options)
        // OpenSlide's (libjpeg's) own messages for the two damaged tiles.
        let messages = ["corrupt-tile.svs": "Premature end of JPEG file", "wrong-offset.svs": "Not a JPEG file: starts with 0x1d 0x9d"]
        for (name, message) in messages {
            let slide = try WholeSlide(path: path(name))
            let tiling = try SlideTiling(slide: slide, options: options)
            let touches = { (t: SlideTile) -> Bool in
                guard let r = t.read else { return false }
                return r.levelZeroX < 512 && r.levelZeroX + r.width > 256 && r.levelZeroY < 256
            }
            XCTAssertFalse(tiling.skipped.isEmpty, name)
            XCTAssertTrue(expected.tiles.contains(where: touches), "the clean slide keeps tiles there")
            for (tile, error) in tiling.skipped {
                XCTAssertTrue(touches(tile), "\(name): \(tile.name) skipped")
                XCTAssertEqual(error.problem, .unreadableTile(name: tile.name, x: tile.x, y: tile.y, message: message))
                XCTAssertEqual(error.description, path(name) + ": tile \(tile.name) (level-0 x \(tile.x), y \(tile.y)) cannot be read: OpenSlide: \(message)")
            }
            let kept = expected.tiles.filter { !touches($0) }
            XCTAssertEqual(tiling.tiles, kept, name)
            for tile in tiling.tiles {
                XCTAssertEqual(try tiling.image(of: tile, from: slide), try expected.image(of: tile, from: clean), "\(name) \(tile.name)")
            }
        }
    }
}
