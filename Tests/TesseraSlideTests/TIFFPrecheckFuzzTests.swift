import Foundation
import TestSupport
import XCTest
@testable import TesseraSlide

/// Seeded random mutations of the clean hostile-fixture slide's bytes: the pre-check must accept
/// or refuse each with a `SlideError` naming the file; a crash fails the whole run. Mutations
/// aim at the structure (the header, the IFDs and their arrays), where the checks are.
final class TIFFPrecheckFuzzTests: XCTestCase {
    func testMutantsAreAcceptedOrRefused() throws {
        let seed = Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("wsi/hostile/clean.svs"))))
        // Level 0's IFD and arrays sit in the first 500 bytes, the other levels' IFDs after their tiles.
        let structure = [0..<500, 20_900..<21_360, 24_700..<25_184]
        var rng = Xorshift(seed: 0x5EED_7E55_E7A0_0019)
        var (ran, accepted) = (0, 0)
        let deadline = Date().addingTimeInterval(2)
        while ran < 20_000, Date() < deadline {  // bounded: CI has 2 shared cores
            var bytes = seed
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let range = structure[Int.random(in: 0..<structure.count, using: &rng)]
                let i = Int.random(in: range, using: &rng)
                guard i < bytes.count else { break }
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
                case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 2: bytes[i] = [0, 0xFF, 0x7F, 0x80].randomElement(using: &rng) ?? 0
                default: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                }
            }
            let refusal = bytes.withUnsafeBytes { raw -> SlideError? in
                do throws(SlideError) {
                    try TIFFPrecheck.check(raw, path: "mutant.svs")
                    return nil
                } catch {
                    return error
                }
            }
            if let refusal {
                XCTAssertTrue(refusal.description.hasPrefix("mutant.svs: "), refusal.description)
            } else {
                accepted += 1
            }
            ran += 1
        }
        print("TIFF pre-check fuzz: \(ran) mutants ran without a crash (\(accepted) accepted)")
        XCTAssertGreaterThan(ran, 1000)
        XCTAssertLessThan(accepted, ran)
    }
}
