import Foundation
import TesseraCore
import TesseraFormats
import TestSupport
import XCTest

/// Seeded random mutations of torch checkpoints (zip and legacy) and of a bare
/// pickle: every mutant must load or be refused with a typed error; a crash
/// (or any other error type) fails the run.
final class TorchFuzzTests: XCTestCase {
    /// Values that sit on the edges of zip and pickle size fields.
    private static let edgeValues: [UInt32] = [0, 1, 0x7F, 0xFF, 0xFFFF, 0x7FFF_FFFF, 0xFFFF_FFFE, 0xFFFF_FFFF]

    private func mutate(_ input: [UInt8], _ rng: inout Xorshift) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard bytes.count > 4 else { break }
            let i = Int.random(in: 0..<(bytes.count - 4), using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                let value = Self.edgeValues.randomElement(using: &rng)!
                withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(i..<(i + 4), with: $0) }
            case 3: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...16, using: &rng)))
            case 4: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 8)], at: i)
            default: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            }
        }
        return bytes
    }

    private func load(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: Fixtures.path(relative))))
    }

    func testCheckpointMutantsAreReadOrRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let inputs = try ["torch_layouts/zip.pt", "torch_layouts/legacy.pt", "hostile/ok_zip64_extra_fields.pt",
                          "torch_cases/rebuild_v3.pt", "torch_cases/uint16_legacy.pt"].map(load)
        var rng = Xorshift(seed: 0x7024_C4F0_22ED_0001)
        var (ran, accepted) = (0, 0)
        let deadline = Date().addingTimeInterval(2)
        let path = folder.file("mutant.pt")
        // One descriptor rewritten in place: reopening a file per mutant costs milliseconds.
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        XCTAssertGreaterThanOrEqual(descriptor, 0)
        defer { close(descriptor) }
        while ran < 20_000, Date() < deadline {  // bounded: CI has 2 shared cores
            let mutant = mutate(inputs[ran % inputs.count], &rng)
            let written = mutant.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            XCTAssertEqual(written, mutant.count)
            XCTAssertEqual(ftruncate(descriptor, off_t(mutant.count)), 0)
            do {
                let dict = try TorchCheckpoint.stateDict(path: path)
                for name in dict.names { _ = dict[name]?.floats() }  // touch every accepted byte
                accepted += 1
            } catch is TorchCheckpointError {
            }
            ran += 1
        }
        print("torch checkpoint fuzz: \(ran) mutants ran without a crash (\(accepted) still loaded)")
        XCTAssertGreaterThan(ran, 100)
        XCTAssertLessThan(accepted, ran)
    }

    func testPickleMutantsAreReadOrRefused() throws {
        let seed = try load("torch_layouts/object.pkl")
        var rng = Xorshift(seed: 0x91C4_1E00_5EED_0002)
        var (ran, accepted) = (0, 0)
        let deadline = Date().addingTimeInterval(1)
        while ran < 20_000, Date() < deadline {
            let mutant = mutate(seed, &rng)
            do {
                // Storages resolve to None: the tensors fail, everything before them runs.
                _ = try mutant.withUnsafeBytes { bytes in
                    var unpickler = Unpickler(bytes: bytes) { _ in .none }
                    return try unpickler.load()
                }
                accepted += 1
            } catch is PickleError {
            }
            ran += 1
        }
        print("pickle fuzz: \(ran) mutants ran without a crash (\(accepted) still loaded)")
        XCTAssertGreaterThan(ran, 100)
    }
}
