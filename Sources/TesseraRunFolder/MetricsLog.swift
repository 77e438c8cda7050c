import Foundation
import TesseraFormats

/// `RUN/metrics.jsonl`: one JSON object per line, appended and flushed to disk as each step or
/// validation ends. On resume, the lines after the checkpoint's step (and a line cut short by
/// a kill) are dropped, so the log always describes the run the checkpoint continues.
public final class MetricsLog {
    public let path: String
    private let handle: FileHandle

    /// Opens the log, keeping only the lines of steps up to `keepThrough`.
    public init(path: String, keepThrough step: Int) throws {
        self.path = path
        let old = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        let kept = old.split(separator: "\n").filter { line in
            guard line.hasSuffix("}"), let s = Self.step(of: String(line)) else { return false }
            return s <= step
        }
        try (kept.map { $0 + "\n" }.joined()).write(toFile: path, atomically: true, encoding: .utf8)
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    public func append(_ members: [(String, JSONValue)]) throws {
        try handle.write(contentsOf: Data((JSONValue.object(members.map { (key: $0.0, value: $0.1) }).serialized() + "\n").utf8))
        try handle.synchronize()
    }

    /// The last value of every finite number in the log at `path` (`step` as `steps`), in order of
    /// first appearance: the run's final metrics.
    public static func finalValues(path: String) throws -> [(name: String, value: Double)] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var names: [String] = [], values: [String: Double] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() {
            let json = try Array(line.utf8).withUnsafeBytes { try JSONParser.parse($0, path: "\(path), line \(i + 1)") }
            guard case .object(let members) = json else {
                throw RunFolderError(path: path, problem: "line \(i + 1) is not a JSON object")
            }
            for (key, value) in members {
                guard case .number(let literal) = value, let number = Double(literal), number.isFinite else { continue }
                let name = key == "step" ? "steps" : key
                if values[name] == nil { names.append(name) }
                values[name] = number
            }
        }
        return names.map { ($0, values[$0]!) }
    }

    private static func step(of line: String) -> Int? {
        guard let json = try? Array(line.utf8).withUnsafeBytes({ try JSONParser.parse($0, path: "metrics.jsonl") }) else { return nil }
        return json["step"]?.nonNegativeInt
    }
}
