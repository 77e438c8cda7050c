import TesseraCore
@testable import TesseraImage
import TestSupport
import XCTest

/// `SlidePicture` on the demo slide's output (14 tiles on a 256-pixel grid) and on hostile
/// inputs: the layout docs/plot.md gives, each tile's square in its colour, empty cells white,
/// the scale bar, a background under the tiles, the grid step, and an error naming the tensor for
/// each bad input.
final class SlidePictureTests: XCTestCase {
    func testDemoSlideLayoutAndColours() throws {
        let output = try Fixtures.load("slide_folder/expected.safetensors")
        let picture = try SlidePicture(tileEmbeds: output["tile_embeds"], coords: output["coords"], name: "demo_slide")
        let layout = picture.layout
        // Coordinates span 4 x 4 cells of 256 pixels: a square map of 1024, u = 2, margin 16, title dots of 3.
        XCTAssertEqual([layout.mapWidth, layout.mapHeight, layout.unit, layout.titleUnit, layout.margin], [1024, 1024, 2, 3, 16])
        XCTAssertEqual(layout.scale, 1)
        XCTAssertEqual(picture.image.width, 1024 + 2 * 16)
        XCTAssertEqual(picture.image.height, 16 + 21 + 16 + 1024 + 16 + 14 + 16)
        let coords = output["coords"]!.floats()
        var cells = Set<Int>()
        for t in 0..<picture.colours.count {
            let r = layout.rectangle(x: Double(coords[2 * t]), y: Double(coords[2 * t + 1]), side: 256)
            XCTAssertEqual([r.width, r.height], [256, 256])
            for (x, y) in [(r.x, r.y), (r.x + 255, r.y + 255), (r.x + 128, r.y + 77)] {
                XCTAssertEqual(picture.image[x, y], picture.colours[t], "tile \(t) at (\(x), \(y))")
            }
            cells.insert((r.x - layout.mapX) / 256 + 4 * ((r.y - layout.mapY) / 256))
        }
        XCTAssertEqual(Set(picture.colours.map { [$0.red, $0.green, $0.blue] }).count, 14, "every tile its own colour")
        // The two empty cells of the 4 x 4 grid stay white.
        for cell in Set(0..<16).subtracting(cells) {
            XCTAssertEqual(picture.image[layout.mapX + 256 * (cell % 4) + 100, layout.mapY + 256 * (cell / 4) + 100], .white)
        }
        // The scale bar: 200 level-0 pixels at 1 pixel each (the longest 1-2-5 length within a quarter of 1024).
        let barY = layout.mapY + 1024 + 16 + 3 * 2
        XCTAssertEqual(picture.image[16, barY], .black)
        XCTAssertEqual(picture.image[16 + 199, barY], .black)
        XCTAssertEqual(picture.image[16 + 200 + 1, barY], .white)
    }

    func testTilesOverABackground() throws {
        // A grey slide of 1000 x 500 level-0 pixels, one red-ish tile: blended half and half.
        let slide = RGBImage(width: 100, height: 50, pixels: [UInt8](repeating: 100, count: 100 * 50 * 3))
        let embeds = Tensor(shape: [2, 3], floats: [1, 0, 0, 0, 1, 0]), coords = Tensor(shape: [2, 2], floats: [0, 0, 500, 250])
        let picture = try SlidePicture(tileEmbeds: embeds, coords: coords, tileSize: 250, name: "grey", micronsPerPixel: 0.5, width: 512,
                                       background: .init(image: slide, slideWidth: 1000, slideHeight: 500, alpha: 0.5))
        let layout = picture.layout
        XCTAssertEqual([layout.mapWidth, layout.mapHeight], [512, 256])
        let first = picture.colours[0]
        XCTAssertEqual(picture.image[layout.mapX + 10, layout.mapY + 10],
                       RGBImage.Colour(UInt8((Double(first.red) / 2 + 50).rounded()), UInt8((Double(first.green) / 2 + 50).rounded()),
                                       UInt8((Double(first.blue) / 2 + 50).rounded())))
        XCTAssertEqual(picture.image[layout.mapX + 500, layout.mapY + 10], RGBImage.Colour(100, 100, 100), "the slide where no tile is")

        let elsewhere = Tensor(shape: [2, 2], floats: [5000, 0, 6000, 0])
        XCTAssertThrowsError(try SlidePicture(tileEmbeds: embeds, coords: elsewhere, tileSize: 250, name: "x",
                                              background: .init(image: slide, slideWidth: 1000, slideHeight: 500, alpha: 0.5))) {
            XCTAssertEqual($0 as? SlidePictureError, .tilesOutsideSlide(width: 1000, height: 500))
        }
    }

    func testBadInputsNameTheTensor() {
        let embeds = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]), coords = Tensor(shape: [2, 2], floats: [0, 0, 256, 0])
        let cases: [(Tensor?, Tensor?, SlidePictureError)] = [
            (nil, coords, .missing(tensor: "tile_embeds")),
            (embeds, nil, .missing(tensor: "coords")),
            (Tensor(zeros: [2, 3], dtype: .i32), coords, .notFloatingPoint(tensor: "tile_embeds", dtype: .i32)),
            (Tensor(shape: [6], floats: [1, 2, 3, 4, 5, 6]), coords, .badShape(tensor: "tile_embeds", shape: [6], expected: "[N, D]")),
            (embeds, Tensor(shape: [2, 3], floats: [0, 0, 0, 1, 1, 1]), .badShape(tensor: "coords", shape: [2, 3], expected: "[N, 2]")),
            (embeds, Tensor(shape: [1, 2], floats: [0, 0]), .rowCountsDiffer(tensor: "tile_embeds", rows: 2, coords: 1)),
            (Tensor(zeros: [0, 3]), Tensor(zeros: [0, 2]), .noTiles),
            (Tensor(shape: [2, 3], floats: [1, 2, 3, 4, .nan, 6]), coords, .nonFinite(tensor: "tile_embeds", row: 1, column: 1)),
            (embeds, Tensor(shape: [2, 2], floats: [0, 0, .infinity, 0]), .nonFinite(tensor: "coords", row: 1, column: 0)),
            (embeds, Tensor(shape: [2, 2], floats: [0, 0, 0, -1e12]), .coordinateOutOfRange(row: 1, column: 1, limit: 1 << 31)),
        ]
        for (tileEmbeds, coords, expected) in cases {
            XCTAssertThrowsError(try SlidePicture(tileEmbeds: tileEmbeds, coords: coords, name: "x")) {
                XCTAssertEqual($0 as? SlidePictureError, expected)
            }
        }
        XCTAssertThrowsError(try SlidePicture(tileEmbeds: embeds, coords: coords, name: "x", width: 10)) {
            XCTAssertEqual($0 as? SlidePictureError, .badWidth(10))
        }
        XCTAssertEqual(SlidePictureError.rowCountsDiffer(tensor: "tile_embeds", rows: 2, coords: 1).description,
                       "'tile_embeds' has 2 rows but 'coords' 1: they must describe the same tiles")
    }

    func testGridStep() {
        XCTAssertEqual(SlidePicture.gridStep([0, 0, 512, 0, 512, 1024]), 512)
        XCTAssertEqual(SlidePicture.gridStep([-17, 589, 239, 589]), 256)
        XCTAssertNil(SlidePicture.gridStep([3, 4, 3, 4]))
    }
}
