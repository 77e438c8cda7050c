@testable import TesseraImage
import XCTest

/// `BitmapFont`: every glyph is seven rows of five dots, unknown characters draw as `?`, and text
/// lands where its width says.
final class BitmapFontTests: XCTestCase {
    func testFontGlyphsAndText() {
        XCTAssertEqual(BitmapFont.ascii.count, 126 - 32 + 1)
        for art in BitmapFont.ascii + [BitmapFont.micro] {
            let rows = art.split(separator: " ")
            XCTAssertEqual(rows.count, 7, art)
            XCTAssertTrue(rows.allSatisfy { $0.count == 5 && $0.allSatisfy { ".#".contains($0) } }, art)
        }
        XCTAssertEqual(BitmapFont.glyph("T"), [0b11111, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100])
        XCTAssertEqual(BitmapFont.glyph("é"), BitmapFont.glyph("?"))
        XCTAssertEqual(BitmapFont.width(of: "ab", scale: 2), 22)
        var image = RGBImage(width: 20, height: 20, pixels: [UInt8](repeating: 255, count: 20 * 20 * 3))
        BitmapFont.draw("T", into: &image, x: 1, y: 2, scale: 2, colour: .black)
        XCTAssertEqual(image[1, 2], .black)
        XCTAssertEqual(image[10, 3], .black)
        XCTAssertEqual(image[5, 5], .black, "the stem")
        XCTAssertEqual(image[1, 5], .white)
        XCTAssertEqual(image[11, 2], .white, "past the glyph")
    }
}
