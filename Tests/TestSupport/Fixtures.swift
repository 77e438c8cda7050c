import Foundation
import TesseraCore
import TesseraFormats

/// The project's `fixtures/` folder (golden data copied from the reference).
public enum Fixtures {
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/Fixtures.swift
        return url.appendingPathComponent("fixtures").path
    }()

    public static func path(_ relative: String) -> String { root + "/" + relative }

    /// Loads a fixture safetensors file.
    public static func load(_ relative: String) throws -> StateDict {
        try SafeTensors.read(path: path(relative))
    }
}

/// A fresh temporary folder, removed by the caller with `cleanUp()`.
public struct TemporaryFolder {
    public let path: String
    public init() throws {
        path = NSTemporaryDirectory() + "tessera-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    public func file(_ name: String) -> String { path + "/" + name }
    public func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}

/// max |actual - expected| / max |expected|: the parity measure of the issues.
public func relativeError(_ actual: [Float], _ expected: [Float]) -> Float {
    precondition(actual.count == expected.count, "\(actual.count) vs \(expected.count) values")
    var maxErr: Float = 0, maxRef: Float = 0
    for i in 0..<actual.count {
        maxErr = max(maxErr, abs(actual[i] - expected[i]))
        maxRef = max(maxRef, abs(expected[i]))
    }
    if actual.contains(where: { $0.isNaN }) { return .nan }
    return maxRef > 0 ? maxErr / maxRef : maxErr
}

/// A xorshift generator for seeded fuzzing: a failing input can be made again from its seed.
public struct Xorshift: RandomNumberGenerator {
    public var state: UInt64
    public init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    public mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
