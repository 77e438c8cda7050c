import Foundation
import TesseraCore
import TestSupport
import XCTest

/// The short, seeded part of the bundle-meaning fuzzing (the long one is `scripts/fuzz
/// bundle-meaning`): mutants of runnable bundles with extreme fields and values, checksums
/// recomputed. Each must be refused with the engine's error or run to finite outputs.
final class BundleMutatorTests: XCTestCase {
    func testMutantsAreRefusedOrFinite() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let mutator = BundleMutator(), tiles = NoiseTiles()
        // One thread, as the fuzzing harness: the models are tiny, the pool's hand-offs are not.
        let threads = Parallel.threadCount
        Parallel.threadCount = 1
        defer { Parallel.threadCount = threads }
        var rng = Xorshift(seed: 0x5EED_0023_0000_0004)
        var (ran, finite) = (0, 0)
        var refusals: [String: Int] = [:]
        let path = folder.file("mutant.tsb")
        let deadline = Date().addingTimeInterval(3)
        while ran < 5_000, Date() < deadline {  // bounded: CI has 2 shared cores
            let choices = (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try Data(mutator.mutant(choices)).write(to: URL(fileURLWithPath: path))
            switch BundleMutator.run(path: path, tiles: tiles) {
            case .finite:
                finite += 1
            case .refused(let message):
                XCTAssertTrue(message.hasPrefix(path + ": "), "a refusal names the bundle: \(message)")
                // The check that refused: the message without the path, up to its first number.
                refusals[String(message.dropFirst(path.count + 2).prefix { !$0.isNumber }.prefix(60)), default: 0] += 1
            case .nonFinite(let what):
                XCTFail("mutant \(ran) (choices \(choices)) ran to a non-finite output: \(what)")
            }
            ran += 1
        }
        print("bundle meaning: \(ran) mutants, \(finite) ran to finite outputs, \(ran - finite) refused by "
              + "\(refusals.count) checks")
        XCTAssertGreaterThan(ran, 40)
        XCTAssertGreaterThan(finite, 0, "some mutants stay runnable")
        XCTAssertGreaterThan(refusals.count, 8, "the mutants reach many checks: \(refusals.keys.sorted())")
    }
}
