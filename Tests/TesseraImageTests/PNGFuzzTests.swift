import Foundation
import TesseraCore
import TesseraImage
import TestSupport
import XCTest

/// Seeded random mutations of the small PNG fixtures, their chunk CRCs recomputed (so that
/// mutations reach what the CRCs guard), through the tile path: decode, then resize, crop
/// and normalise at small random sizes. Every mutant must make a tile or be refused with an
/// `ImageDecodingError`; a crash fails the whole run.
final class PNGFuzzTests: XCTestCase {
    private func mutate(_ input: [UInt8], _ rng: inout Xorshift) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard bytes.count > 8 else { break }
            // Mostly the header chunks (IHDR, PLTE, tRNS, gAMA sit in the first bytes).
            let i = Int.random(in: 8..<min(bytes.count, Bool.random(using: &rng) ? 64 : bytes.count), using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes[i] = [0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x10, 0x7F, 0x80, 0xFF].randomElement(using: &rng)!
            case 3: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...16, using: &rng)))
            case 4: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 12)], at: i)
            default: bytes = Array(bytes.prefix(Int.random(in: 8...bytes.count, using: &rng)))
            }
        }
        return PNGChunks.resealed(bytes)
    }

    func testMutantsMakeTilesOrAreRefused() throws {
        let inputs = try PNGCasesTests.formats.filter { !$0.hasPrefix("noise_") || $0 == "noise_13x9.png" }.map {
            Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("preprocess/cases/" + $0))))
        }
        var rng = Xorshift(seed: 0x9E6F_0221_5EED_0001)
        var (ran, decoded) = (0, 0)
        let deadline = Date().addingTimeInterval(2)
        while ran < 20_000, Date() < deadline {  // bounded: CI has 2 shared cores
            let mutant = mutate(inputs[ran % inputs.count], &rng)
            let preprocessor = TilePreprocessor(resize: Int.random(in: 1...16, using: &rng), crop: Int.random(in: 1...16, using: &rng))
            do {
                let image = try mutant.withUnsafeBytes { (raw) throws(ImageDecodingError) in
                    try PNGDecoder(maxPixels: 1 << 16).decode(bytes: raw, name: "mutant.png")
                }
                let tile = preprocessor.normalize(preprocessor.cropped(image))
                XCTAssertEqual(tile.shape, [3, preprocessor.crop, preprocessor.crop])
                decoded += 1
            } catch is ImageDecodingError {
            }
            ran += 1
        }
        print("png fuzz: \(ran) mutants ran without a crash (\(decoded) still decoded)")
        XCTAssertGreaterThan(ran, 100)
        XCTAssertLessThan(decoded, ran)
    }
}
