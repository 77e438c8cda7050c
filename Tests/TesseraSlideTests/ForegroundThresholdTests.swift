import XCTest
@testable import TesseraSlide

/// The float16 arithmetic of upstream's threshold and occupancy. Expected values were computed
/// with numpy 2 (float16 histogram edges) and scikit-image's Otsu formula on the same inputs.
final class ForegroundThresholdTests: XCTestCase {
    /// Pixel i of a deterministic RGB ramp: ((i*a) % 256, (i*b + 17) % 256, (i*c + 101) % 256).
    func ramp(_ count: Int, _ a: Int, _ b: Int, _ c: Int) -> [UInt8] {
        var pixels: [UInt8] = []
        for i in 0..<count {
            pixels.append(UInt8((i * a) % 256))
            pixels.append(UInt8((i * b + 17) % 256))
            pixels.append(UInt8((i * c + 101) % 256))
        }
        return pixels
    }

    func testOtsuOnFloat16LuminanceMatchesNumpy() {
        XCTAssertEqual(ForegroundThreshold.otsu(ForegroundThreshold.luminance16(ramp(1000, 37, 91, 53))), Float16(127.1))
        XCTAssertEqual(ForegroundThreshold.otsu(ForegroundThreshold.luminance16(ramp(5000, 7, 11, 13))), 128)
        // numpy.linspace in float16: numpy gives [8., 8.82, 9.64, ...] for this range.
        let edges = ForegroundThreshold.linspace16(8, 217.6, count: 257)
        XCTAssertEqual(Array(edges.prefix(3)), [8, Float16(8.82), Float16(9.64)])
        XCTAssertEqual(edges.last, Float16(217.6))
        // One value everywhere: that value (scikit-image's shortcut).
        XCTAssertEqual(ForegroundThreshold.otsu([42, 42, 42]), 42)
        XCTAssertNil(ForegroundThreshold.otsu([]))
    }

    /// A 256x256 tile whose first `foreground` pixels are black, the rest white.
    func tile(foreground: [Bool]) -> [UInt8] { foreground.flatMap { $0 ? [0, 0, 0] : [255, 255, 255] } }

    func testFloat16OccupancyOverflowsOnFullTilesAsNumpy() {
        let upstream = Foreground.float16(193)
        XCTAssertEqual(upstream.occupancy(tile(foreground: Array(repeating: true, count: 65536))), .infinity)
        XCTAssertEqual(upstream.occupancy(tile(foreground: (0..<65536).map { $0 < 60000 })), Double(Float16(0.9155)))
        XCTAssertEqual(upstream.occupancy(tile(foreground: (0..<65536).map { $0 % 3 == 0 })), Double(Float16(0.3333)))
        XCTAssertEqual(Foreground.exact(193).occupancy(tile(foreground: Array(repeating: true, count: 65536))), 1)
        XCTAssertEqual(Foreground.exact(193).occupancy(tile(foreground: (0..<65536).map { $0 < 60000 })), 60000.0 / 65536)
        // Upstream compares with the occupancy threshold cast to float16: 0.10002 becomes
        // 0.10003662109375, which a float16 occupancy of that value does not exceed.
        XCTAssertFalse(upstream.keeps(above: 0.10002)(0.10003662109375))
        XCTAssertTrue(Foreground.exact(193).keeps(above: 0.10002)(0.10003662109375))
    }

    func testTileNamesFormatAsPython() {
        func name(_ x: Int, _ y: Int) -> String { SlideTile(nameX: x, nameY: y, x: x, y: y, occupancy: 0, read: nil).name }
        XCTAssertEqual(name(1589, 912), "01589x_00912y.png")
        XCTAssertEqual(name(-81, 5), "-0081x_00005y.png")
        XCTAssertEqual(name(-12345, 123456), "-12345x_123456y.png")
    }
}
