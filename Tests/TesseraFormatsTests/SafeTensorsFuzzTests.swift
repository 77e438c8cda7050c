import Foundation
import TesseraCore
@testable import TesseraFormats
import TestSupport
import XCTest

/// Seeded random mutations of valid safetensors files: every mutant must be
/// validated or refused with a `FormatError`; a crash fails the whole run.
/// Validation runs in memory; the mutants it accepts are also written out and
/// read as files, every tensor byte touched.
final class SafeTensorsFuzzTests: XCTestCase {
    private func seeds() throws -> [[UInt8]] {
        var mixed = StateDict()
        mixed.set("a.weight", Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
        mixed.set("b", Tensor(zeros: [3], dtype: .i8))
        mixed.set("c", Tensor(zeros: [0, 4], dtype: .bf16))
        mixed.metadata = ["format": "pt"]
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        try SafeTensors.write(mixed, to: folder.file("mixed.safetensors"))
        return try [folder.file("mixed.safetensors"), Fixtures.path("slide_folder/expected.safetensors")].map {
            Array(try Data(contentsOf: URL(fileURLWithPath: $0)))
        }
    }

    private func mutate(_ input: [UInt8], _ rng: inout Xorshift) -> [UInt8] {
        var bytes = input
        let headerEnd = min(bytes.count, 8 + Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let i = Int.random(in: 0..<min(bytes.count, max(headerEnd, 1)), using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes[i] = Array("{}[]\",:0123456789-e.".utf8).randomElement(using: &rng) ?? 0
            case 3: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...16, using: &rng)))
            case 4: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 8)], at: i)
            default: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            }
        }
        return bytes
    }

    func testMutantsAreReadOrRefused() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanUp() }
        let inputs = try seeds()
        var rng = Xorshift(seed: 0x5EED_7E55_E7A0_0001)
        var (ran, accepted) = (0, 0)
        let deadline = Date().addingTimeInterval(2)
        let path = folder.file("mutant.safetensors")
        while ran < 20_000, Date() < deadline {  // bounded: CI has 2 shared cores
            let mutant = mutate(inputs[ran % inputs.count], &rng)
            do {
                _ = try mutant.withUnsafeBytes { try SafeTensorsHeader(file: $0, path: path) }
                try Data(mutant).write(to: URL(fileURLWithPath: path))
                let dict = try SafeTensors.read(path: path)
                for name in dict.names { _ = dict[name]?.floats() }
                accepted += 1
            } catch is FormatError {
            }
            ran += 1
        }
        print("safetensors fuzz: \(ran) mutants ran without a crash (\(accepted) still valid)")
        XCTAssertGreaterThan(ran, 1000)
        XCTAssertLessThan(accepted, ran)
    }
}
