import Foundation
import TesseraCore
import TesseraImage
import TestSupport
import XCTest
@testable import TesseraSlide

/// `SlideTiling` on the project's synthetic slides (fixtures/make_wsi.py), against what
/// prov-gigapath's own `tile_one_slide` gave on them: `<name>.tiles.tsv` (name, occupancy,
/// SHA-256 of the decoded RGB), `<name>.dataset.csv`, `<name>.roi.json`.
final class SlideTilingFixtureTests: XCTestCase {
    static let slides = ["synth_a", "synth_b"]

    func open(_ name: String) throws -> WholeSlide { try WholeSlide(path: Fixtures.path("wsi/\(name).svs")) }

    func text(_ name: String, _ suffix: String) throws -> String {
        try String(contentsOfFile: Fixtures.path("wsi/\(name).\(suffix)"), encoding: .utf8)
    }

    /// The numbers after `"key": ` in the fixture's roi.json (a number or a flat list).
    func numbers(_ key: String, in json: String) throws -> [Double] {
        let start = try XCTUnwrap(json.range(of: "\"\(key)\": "), key).upperBound
        let value = json[start...].prefix { $0 != "\n" }.filter { !"[] ,".contains($0) || $0 == "," }
        return value.split(separator: ",").compactMap { Double($0) }
    }

    func hash(_ image: RGBImage) -> String { image.pixels.withUnsafeBytes { SHA256.hex(SHA256.digest($0)) } }

    func testCompatModeGivesUpstreamsNamesPixelsAndDatasetCSV() throws {
        for name in Self.slides {
            let slide = try open(name)
            let tiling = try SlideTiling(slide: slide, options: TilingOptions(mode: .provGigapath))
            let roi = try text(name, "roi.json")
            XCTAssertEqual(tiling.threshold, try numbers("otsu_threshold", in: roi).first, name)
            XCTAssertEqual([tiling.roi.x, tiling.roi.y, tiling.roi.width, tiling.roi.height].map(Double.init),
                           try numbers("roi_level0_xywh", in: roi), name)
            XCTAssertEqual([tiling.padding.left, tiling.padding.top].map(Double.init), try numbers("roi_pad_left_top", in: roi), name)
            // dataset.csv byte for byte: names, row order, float16 occupancy printed as numpy does (inf included).
            XCTAssertEqual(TileDataset.csv(slideID: "\(name).svs", tiling: tiling), try text(name, "dataset.csv"), name)
            let expected = try text(name, "tiles.tsv").split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
            let source = WholeSlideTiles(slide: slide, tiling: tiling)
            XCTAssertEqual(source.count, expected.count, name)
            XCTAssertEqual((0..<source.count).map(source.name(of:)), expected.map { $0[0] }, name)  // both sorted by name
            for (i, row) in expected.enumerated() where i < source.count {
                XCTAssertEqual(hash(try source.image(of: i)), row[2], "\(name) \(row[0])")
            }
        }
    }

    /// Exact mode: every tile is the slide's own region at its name (white past the slide's edge).
    /// Against upstream, on the same grid cells: every name differs (upstream swaps the origin's
    /// axes: its name is the true corner + (roi.y - roi.x, roi.x - roi.y)), and synth_a's three
    /// right-most upstream tiles 02746x_01041y, 02746x_01297y, 02746x_01553y (true corners
    /// (2681, 1106), (2681, 1362), (2681, 1618)) are not kept: upstream counts its 28 black columns
    /// past the slide's right edge (x >= 2900) as foreground, 7168 of 65536 pixels, which lifts
    /// them over 0.1; read as white they stay under.
    func testExactModeTilesAreTheSlidesOwnPixelsAtTheirNames() throws {
        let droppedByExact = ["synth_a": ["02746x_01041y.png", "02746x_01297y.png", "02746x_01553y.png"], "synth_b": []]
        for name in Self.slides {
            let slide = try open(name)
            let exact = try SlideTiling(slide: slide, options: TilingOptions(mode: .exact))
            let upstream = try SlideTiling(slide: slide, options: TilingOptions(mode: .provGigapath))
            let level0 = slide.levels[0]
            for tile in exact.tiles {
                XCTAssertEqual(tile.name, SlideTile.padded(tile.x) + "x_" + SlideTile.padded(tile.y) + "y.png")
                let image = try exact.image(of: tile, from: slide)
                var expected = try slide.region(x: tile.x, y: tile.y, level: 0, width: 256, height: 256)
                for row in 0..<256 {
                    for column in 0..<256 where tile.x + column >= level0.width || tile.y + row >= level0.height
                        || tile.x + column < 0 || tile.y + row < 0 {
                        for c in 0..<3 { expected.pixels[3 * (row * 256 + column) + c] = 255 }
                    }
                }
                XCTAssertEqual(image, expected, "\(name) \(tile.name)")
            }
            // The same cells, but for the ones listed; no name in common.
            let shift = (exact.roi.y - exact.roi.x, exact.roi.x - exact.roi.y)
            let upstreamNames = Set(upstream.tiles.map(\.name))
            let exactAsUpstream = Set(exact.tiles.map { SlideTile(nameX: $0.x + shift.0, nameY: $0.y + shift.1, x: 0, y: 0, occupancy: 0, read: nil).name })
            XCTAssertEqual(upstreamNames.subtracting(exactAsUpstream).sorted(), droppedByExact[name], name)
            XCTAssertTrue(exactAsUpstream.isSubset(of: upstreamNames), name)
            XCTAssertTrue(Set(exact.tiles.map(\.name)).isDisjoint(with: upstreamNames), name)
        }
    }

    func testErrorsNameTheFile() throws {
        let missing = Fixtures.path("wsi/no_such_slide.svs")
        XCTAssertThrowsError(try WholeSlide(path: missing)) { error in
            XCTAssertTrue("\(error)".hasPrefix(missing), "\(error)")
        }
        let slide = try open("synth_a")
        XCTAssertThrowsError(try slide.region(x: 0, y: 0, level: 9, width: 1, height: 1)) { error in
            XCTAssertEqual(error as? SlideError, SlideError(path: slide.path, problem: .noSuchLevel(9, levels: 4)))
        }
        XCTAssertEqual(slide.mpp?.x, 0.5)
        XCTAssertEqual(slide.vendor, "aperio")
    }

    /// The segmentation level read in strips (here of one row, and of a few) gives upstream's
    /// threshold and region of interest, as one whole read does. The strips' tops at fractional
    /// downsamples lie a fraction of a pixel off (WholeSlide.forEachStrip): measured with
    /// openslide-python, strips of 1-8 rows give these same values.
    func testSegmentationInStripsGivesUpstreamsThresholdAndROI() throws {
        for name in Self.slides {
            let slide = try open(name)
            let roi = try text(name, "roi.json")
            let smallest = slide.levels[slide.levels.count - 1]
            for pixels in [1, 3 * smallest.width + 1] {
                let tiling = try SlideTiling(slide: slide, options: TilingOptions(mode: .provGigapath), segmentationPixels: pixels)
                XCTAssertEqual(tiling.threshold, try numbers("otsu_threshold", in: roi).first, name)
                XCTAssertEqual([tiling.roi.x, tiling.roi.y, tiling.roi.width, tiling.roi.height].map(Double.init),
                               try numbers("roi_level0_xywh", in: roi), "\(name), strips of \(pixels) pixels")
            }
        }
    }

    /// Levels by microns per pixel: roi.json's mpp_xy (0.5) times its level_downsamples.
    func testLevelNearestAMicronsPerPixel() throws {
        for name in Self.slides {
            let slide = try open(name)
            let roi = try text(name, "roi.json")
            let mpp = try numbers("mpp_xy", in: roi), downsamples = try numbers("level_downsamples", in: roi)
            for level in slide.levels.indices {
                XCTAssertEqual(try XCTUnwrap(slide.mpp(ofLevel: level)), (mpp[0] + mpp[1]) / 2 * downsamples[level], accuracy: 1e-12)
            }
            // About 0.5, 2, 8 and 32 microns: the nearest by ratio, the finer level on a tie (1.0).
            let picks = [0.1, 0.5, 0.9, 1.0, 1.1, 3.9, 5, 15, 17, 1000].map { slide.level(nearestMPP: $0) }
            XCTAssertEqual(picks, [0, 0, 0, 0, 1, 1, 2, 2, 3, 3], name)
        }
    }
}
