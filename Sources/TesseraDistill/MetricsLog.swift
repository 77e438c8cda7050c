import Foundation
import TesseraFormats

/// `RUN/metrics.jsonl`: one JSON object per line, appended and flushed to disk as each step or
/// validation ends. On resume, the lines after the checkpoint's step (and a line cut short by
/// a kill) are dropped, so the log always describes the run the checkpoint continues.
final class MetricsLog {
    let path: String
    private let handle: FileHandle

    /// Opens the log, keeping only the lines of steps up to `keepThrough`.
    init(path: String, keepThrough step: Int) throws {
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

    func append(_ members: [(String, JSONValue)]) throws {
        try handle.write(contentsOf: Data((JSONValue.object(members.map { (key: $0.0, value: $0.1) }).serialized() + "\n").utf8))
        try handle.synchronize()
    }

    private static func step(of line: String) -> Int? {
        guard let json = try? Array(line.utf8).withUnsafeBytes({ try JSONParser.parse($0, path: "metrics.jsonl") }) else { return nil }
        return json["step"]?.nonNegativeInt
    }
}

extension JSONValue {
    /// A number (a string for NaN and infinities, which JSON cannot hold).
    static func real(_ value: Double) -> JSONValue { value.isFinite ? .number("\(value)") : .string("\(value)") }
    static func integer(_ value: Int) -> JSONValue { .number(String(value)) }
}
