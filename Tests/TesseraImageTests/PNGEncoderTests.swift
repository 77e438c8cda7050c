import TesseraImage
import TestSupport
import XCTest

/// `PNGEncoder` at each zlib level: smaller files at higher levels, and the pixels read back
/// as they were (a tile of the demo slide, itself written by Pillow).
final class PNGEncoderTests: XCTestCase {
    func testEveryLevelKeepsThePixels() throws {
        let tile = try PNGDecoder().decode(path: Fixtures.path("slide_folder/demo_slide/40960x_12800y.png"))
        var sizes: [Int] = []
        for level in [0, 1, 6, 9] {
            let bytes = try PNGEncoder(level: level).encode(tile)
            sizes.append(bytes.count)
            let back = try bytes.withUnsafeBytes { try PNGDecoder().decode(bytes: $0, name: "level \(level)") }
            XCTAssertEqual(back, tile, "level \(level)")
        }
        XCTAssertGreaterThan(sizes[0], sizes[1])
        XCTAssertGreaterThan(sizes[1], sizes[3])
        XCTAssertEqual(try PNGEncoder().encode(tile), try PNGEncoder(level: 6).encode(tile), "libpng's default is level 6")
    }
}
