import Foundation

/// Runs the built `tessera` executable, found beside the test bundle
/// (`.build/<config>/tessera`).
enum TesseraProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    struct NotBuilt: Error, CustomStringConvertible {
        let bundle: String
        var description: String { "no tessera executable beside \(bundle): build the package first (swift build)" }
    }

    static var executable: String {
        get throws {
            let bundle = URL(fileURLWithPath: Bundle.main.bundlePath)
            for folder in [bundle, bundle.deletingLastPathComponent()] {
                let candidate = folder.appendingPathComponent("tessera").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            throw NotBuilt(bundle: bundle.path)
        }
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes drain at once: read one after the other, a child that fills
        // the second pipe's buffer (64 KB of stderr) before closing the first would hang.
        var stderr = Data()
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) { stderr = err.fileHandleForReading.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
