import TesseraCore
import TesseraImage
import TestSupport
import XCTest

/// The torchvision pipeline on the reference PNGs of `fixtures/preprocess`
/// (`expected.safetensors`, keyed by file name). The upstream H&E tiles that
/// file also covers are not part of the project and are not listed here.
final class PreprocessReferenceTests: XCTestCase {
    static let images = ["ihc_512.png", "ihc_crop_300x200.png", "ihc_gray.png", "ihc_palette.png", "ihc_rgba.png"]

    func testFloatTensorsMatchTorchvision() throws {
        let expected = try Fixtures.load("preprocess/expected.safetensors")
        for name in Self.images {
            let reference = try XCTUnwrap(expected[name], name)
            let actual = try TilePreprocessor.gigapath.tensor(path: Fixtures.path("preprocess/" + name))
            XCTAssertEqual(actual.shape, [3, 224, 224], name)
            XCTAssertLessThanOrEqual(maxAbsDifference(actual.floats(), reference.floats()), 1e-6, name)
        }
    }

    func testCroppedBytesMatchPillowExactly() throws {
        let expected = try Fixtures.load("preprocess/expected.safetensors")
        let pipeline = TilePreprocessor.gigapath
        for name in Self.images {
            let reference = try uint8Tile(fromNormalised: try XCTUnwrap(expected[name], name), pipeline, name)
            let tile = pipeline.cropped(try PNGDecoder().decode(path: Fixtures.path("preprocess/" + name)))
            XCTAssertEqual(tile.width, 224, name)
            XCTAssertEqual(tile.height, 224, name)
            let worst = zip(tile.pixels, reference).map { abs(Int($0) - Int($1)) }.max() ?? -1
            XCTAssertEqual(worst, 0, "\(name): max abs uint8 difference")
        }
    }

    /// Inverts Normalize and ToTensor: v = (x * std + mean) * 255, CHW -> HWC.
    /// Every value must land within 1e-3 of an integer, or the inversion is not exact.
    private func uint8Tile(fromNormalised tensor: Tensor, _ p: TilePreprocessor, _ name: String) throws -> [UInt8] {
        let values = tensor.floats()
        let plane = p.crop * p.crop
        var out = [UInt8](repeating: 0, count: plane * 3)
        var worstDistance = 0.0
        for c in 0..<3 {
            for i in 0..<plane {
                let v = (Double(values[c * plane + i]) * Double(p.std[c]) + Double(p.mean[c])) * 255
                worstDistance = max(worstDistance, abs(v - v.rounded()))
                out[3 * i + c] = UInt8(max(0, min(255, v.rounded())))
            }
        }
        XCTAssertLessThan(worstDistance, 1e-3, "\(name): normalised values do not invert to integers")
        return out
    }
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i])) }
    return worst
}
