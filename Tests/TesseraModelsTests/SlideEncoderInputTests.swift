import XCTest
import TesseraCore
import TesseraFormats
import TesseraModels
import TestSupport

/// Bad inputs to the slide encoder give errors that say what and where.
final class SlideEncoderInputTests: XCTestCase {
    func testCoordinatesOutsideTheGridNameTheTile() throws {
        let grid = SlideGrid()
        let names = ["40960x_12800y.png", "256000x_0y.png"]
        let points = try names.map { try XCTUnwrap(SlideGrid.coordinates(ofTileNamed: $0)) }.map { (x: Double($0.x), y: Double($0.y)) }
        XCTAssertThrowsError(try grid.place(points: points, names: names)) { error in
            guard case SlideEncoderError.coordinateOutsideGrid(let tile, _, _, let column, _, let size) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(tile, "256000x_0y.png")
            XCTAssertEqual(column, 1000)
            XCTAssertEqual(size, 1000)
            XCTAssertTrue("\(error)".contains("256000x_0y.png"))
        }
        // Unnamed tiles are named by index.
        XCTAssertThrowsError(try grid.place(coords: Tensor(shape: [2, 2], floats: [0, 0, 256_000, 5]))) { error in
            XCTAssertTrue("\(error)".contains("tile 1"), "\(error)")
        }
        // A cell past any integer is shown as the number it is, not as a sentinel.
        XCTAssertThrowsError(try SlideGrid(tileSize: 1e-300).place(coords: Tensor(shape: [1, 2], floats: [40_960, 12_800]))) { error in
            XCTAssertTrue("\(error)".contains("grid cell (4.09") && "\(error)".contains("e+304)"), "\(error)")
        }
        // A coordinate scale brings level-1 coordinates back inside the grid.
        let level1 = Tensor(shape: [1, 2], floats: [400_000, 1_000])
        XCTAssertThrowsError(try grid.place(coords: level1, names: ["t"]).cells)
        XCTAssertEqual(try SlideGrid(coordScale: 0.5).place(coords: level1).cells,
                       [SlideGrid.Cell(column: 781, row: 1)])
    }

    /// Tiles left of or above the slide (a tiling grid centred on the tissue starts up to a tile
    /// outside it): that axis is shifted so its smallest coordinate is 0, the tiles keep their
    /// cells relative to each other; coordinates that are all non-negative are not moved.
    func testNegativeCoordinatesShiftTheSlideOntoTheGrid() throws {
        let grid = SlideGrid()
        let placed = try grid.place(points: [(589, -17), (589, 239), (845, 495), (333, 239)])
        XCTAssertEqual(placed.cells.map { [$0.column, $0.row] }, [[2, 0], [2, 1], [3, 2], [1, 1]])
        XCTAssertTrue(placed.shift == (0, 17))
        let unmoved = try grid.place(points: [(0, 0), (256, 511)])
        XCTAssertEqual(unmoved.cells.map { [$0.column, $0.row] }, [[0, 0], [1, 1]])
        XCTAssertTrue(unmoved.shift == (0, 0))
        // The shift is applied before the far edge is checked.
        XCTAssertThrowsError(try grid.place(points: [(-256, 0), (255_900, 0)], names: ["a", "b"])) { error in
            XCTAssertTrue("\(error)".contains("b: coordinates (255900, 0) fall in grid cell (1000, 0)"), "\(error)")
        }
    }

    func testDuplicateCellsAreReported() throws {
        let folder = Fixtures.path("slide_folder/demo_slide")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let expected = try Fixtures.load("slide_folder/expected.safetensors")
        let coords = try XCTUnwrap(expected["coords"]).floats()
        XCTAssertEqual(names.count * 2, coords.count)
        let points = try (names + [names[0]]).map { try XCTUnwrap(SlideGrid.coordinates(ofTileNamed: $0)) }
            .map { (x: Double($0.x), y: Double($0.y)) }
        XCTAssertEqual(points.prefix(names.count).flatMap { [Float($0.x), Float($0.y)] }, coords)
        let placement = try SlideGrid().place(points: points, names: names + ["copy.png"])
        XCTAssertEqual(placement.duplicates.count, 1)
        XCTAssertEqual(placement.duplicates.first?.first, names[0])
        XCTAssertEqual(placement.duplicates.first?.second, "copy.png")
        XCTAssertTrue(try SlideGrid().place(points: Array(points.dropLast())).duplicates.isEmpty)
    }

    func testMismatchedTileEmbedWidthIsRejected() throws {
        let model = try SlideEncoder.load(path: Fixtures.path("slide_encoder/slide_encoder.safetensors"))
        let tiles = Tensor(zeros: [2, 64])  // the model takes 96-wide tile embeddings
        let cells = [SlideGrid.Cell(column: 1, row: 1), SlideGrid.Cell(column: 1, row: 2)]
        XCTAssertThrowsError(try model.forward(tileEmbeds: tiles, cells: cells)) { error in
            XCTAssertTrue("\(error)".contains("[N, 96]"), "\(error)")
        }
        XCTAssertThrowsError(try model.forward(tileEmbeds: Tensor(zeros: [2, 96]), cells: [cells[0]]))
        XCTAssertThrowsError(try model.forward(tileEmbeds: Tensor(zeros: [0, 96]), cells: []))
    }

    func testATileEncoderIsNotASlideEncoder() throws {
        XCTAssertThrowsError(try SlideEncoder.load(path: Fixtures.path("tile_teacher/model.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("not a LongNet slide encoder"), "\(error)")
        }
    }

    func testHeadsOverrideAndBadHeads() throws {
        let path = Fixtures.path("slide_encoder/slide_encoder.safetensors")
        XCTAssertEqual(try SlideEncoder.load(path: path, heads: 8).config.heads, 8)
        XCTAssertThrowsError(try SlideEncoder.load(path: path, heads: 7)) { error in
            XCTAssertTrue("\(error)".contains("7 heads"), "\(error)")
        }
    }
}
