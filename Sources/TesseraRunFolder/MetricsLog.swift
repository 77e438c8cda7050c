import Foundation
import TesseraFormats

/// `RUN/metrics.jsonl`: one JSON object per line, appended and flushed to disk as each step or
/// validation ends. On resume, the lines after the checkpoint's step are dropped, so the log
/// always describes the run the checkpoint continues. One reader (`entries`) serves the resume
/// and export alike: a last line cut short by a kill (no newline) is left out, any other line
/// that is not a JSON object with a `step` is an error naming the file and the line.
public final class MetricsLog {
    public let path: String
    private let handle: FileHandle

    /// Opens the log, keeping only the lines of steps up to `keepThrough`.
    public init(path: String, keepThrough step: Int) throws {
        self.path = path
        let kept = try Self.entries(path: path).filter { $0.step <= step }
        do {
            try (kept.map { $0.line + "\n" }.joined()).write(toFile: path, atomically: true, encoding: .utf8)
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
        } catch { throw RunFolderError(path: path, problem: "cannot be written (\(error.localizedDescription))") }
    }

    deinit { try? handle.close() }

    public func append(_ members: [(String, JSONValue)]) throws {
        try handle.write(contentsOf: Data((JSONValue.object(members.map { (key: $0.0, value: $0.1) }).serialized() + "\n").utf8))
        try handle.synchronize()
    }

    /// The log's complete lines, parsed (none when there is no log).
    public static func entries(path: String) throws -> [(line: String, step: Int, members: [(key: String, value: JSONValue)])] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        if isFolder.boolValue { throw RunFolderError(path: path, problem: "is a folder, not the run's metrics log: move it away") }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw RunFolderError(path: path, problem: "cannot be read as UTF-8 text (\(error.localizedDescription))")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()  // after the last newline: empty, or a line a kill cut short
        return try lines.enumerated().map { i, line in
            let json = try Array(line.utf8).withUnsafeBytes { try JSONParser.parse($0, path: "\(path), line \(i + 1)") }
            guard case .object(let members) = json, let step = json["step"]?.nonNegativeInt else {
                throw RunFolderError(path: path, problem: "line \(i + 1) is not a JSON object with a step")
            }
            return (line, step, members)
        }
    }

    /// The last value of every finite number in the log at `path` (`step` as `steps`), in order of
    /// first appearance: the run's final metrics.
    public static func finalValues(path: String) throws -> [(name: String, value: Double)] {
        var names: [String] = [], values: [String: Double] = [:]
        for entry in try entries(path: path) {
            for (key, value) in entry.members {
                guard case .number(let literal) = value, let number = Double(literal), number.isFinite else { continue }
                let name = key == "step" ? "steps" : key
                if values[name] == nil { names.append(name) }
                values[name] = number
            }
        }
        return names.map { ($0, values[$0]!) }
    }
}
