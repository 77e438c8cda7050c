import Foundation

/// Runs the built `tessera` (or `tessera-edge`) executable, found beside the test bundle
/// (`.build/<config>/tessera`).
enum TesseraProcess {
    struct Result {
        /// The exit status, or the signal that ended the process when `reason` is `.uncaughtSignal`.
        let status: Int32
        let reason: Process.TerminationReason
        let stdout: String
        let stderr: String
    }

    struct NotBuilt: Error, CustomStringConvertible {
        let product: String
        let bundle: String
        var description: String { "no \(product) beside \(bundle): build the package first (swift build)" }
    }

    /// The built product `name` (an executable, or a library such as libTesseraEdge.so) beside the test bundle.
    static func product(_ name: String) throws -> String {
        let bundle = URL(fileURLWithPath: Bundle.main.bundlePath)
        for folder in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
        }
        throw NotBuilt(product: name, bundle: bundle.path)
    }

    /// Runs `program` with `arguments`; `environment` adds to (or overrides) this process's.
    static func run(_ arguments: [String], program: String = "tessera", environment: [String: String] = [:]) throws -> Result {
        try run(executable: try product(program), arguments, environment: environment)
    }

    /// `tessera` with `arguments` as `ranks` ranks of an Open MPI job on this machine (as root
    /// and on more ranks than cores, as CI runs it). `make test` installs Open MPI (scripts/bootstrap).
    static func mpirun(ranks: Int, _ arguments: [String]) throws -> Result {
        try run(executable: "/usr/bin/mpirun", ["--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)", try product("tessera")] + arguments)
    }

    static func run(executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes drain at once: read one after the other, a child that fills
        // the second pipe's buffer (64 KB of stderr) before closing the first would hang.
        // The reader's result, handed over by the group's wait (which orders the write before the read).
        final class Drained: @unchecked Sendable { var data = Data() }
        let stderr = Drained()
        let reading = DispatchGroup()
        DispatchQueue.global().async(group: reading) { stderr.data = err.fileHandleForReading.readDataToEndOfFile() }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, reason: process.terminationReason,
                      stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr.data, as: UTF8.self))
    }
}
