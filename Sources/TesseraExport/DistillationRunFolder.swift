import CZstd
import Foundation
import TesseraBundle
import TesseraCore
import TesseraFormats

/// A distillation run's folder (`tessera distill -o RUN`) as export reads it: the student
/// tile encoder (`student/`, a timm folder), the student slide encoder (`slide_student/`),
/// the teacher-space head (`teacher_head.safetensors`, when the run wrote one), and the run's provenance: the teacher's SHA-256 from the teacher cache (what the run
/// really used), a run id, and the final metrics of `metrics.jsonl`.
public struct DistillationRunFolder {
    public let path: String

    /// The run folder at `path`, or nil when `path` is not one (it has no `run.json` and `student/`).
    public init?(path: String) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path + "/run.json"),
              FileManager.default.fileExists(atPath: path + "/student", isDirectory: &isFolder), isFolder.boolValue
        else { return nil }
        self.path = path
    }

    public var tileEncoder: String { path + "/student" }
    public var slideEncoder: String { path + "/slide_student" }
    /// The teacher-space head's file; nil when the run has none.
    public var teacherHead: String? {
        let file = path + "/teacher_head.safetensors"
        return FileManager.default.fileExists(atPath: file) ? file : nil
    }

    /// The provenance of a bundle made from this run.
    public func provenance(tesseraVersion: String, createdUnixSeconds: Int64) throws -> BundleProvenance {
        let options = try Data(contentsOf: URL(fileURLWithPath: path + "/run.json"))
        let json = try options.withUnsafeBytes { try JSONParser.parse($0, path: path + "/run.json") }
        return BundleProvenance(teacherWeightsSHA256: try teacherSHA256(cacheFolder: json["cacheFolder"]?.string),
                                distillationRunID: runID(options), metrics: try finalMetrics(),
                                tesseraVersion: tesseraVersion, createdUnixSeconds: createdUnixSeconds)
    }

    /// `<folder name>@<the first 16 hex digits of run.json's SHA-256>`: the name the user gave the
    /// run and a digest of its complete options (printable ASCII, as the manifest requires).
    func runID(_ options: Data) -> String {
        let digest = options.withUnsafeBytes { SHA256.hex(SHA256.digest($0)) }
        let name = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent.unicodeScalars
            .map { (0x20...0x7E).contains($0.value) ? Character($0) : "_" }
        return String(name.prefix(200)) + "@" + digest.prefix(16)
    }

    /// The teacher's weights SHA-256 that every teacher cache file records (empty when the cache
    /// is gone); the files must agree.
    func teacherSHA256(cacheFolder: String?) throws -> [UInt8] {
        let folder = cacheFolder ?? path + "/teacher_cache"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".safetensors.zst") }.sorted()
        var found: (file: String, hex: String)?
        for name in files {
            let file = folder + "/" + name
            let header = try Self.safetensorsHeader(file, compressed: name.hasSuffix(".zst"))
            guard let hex = header["__metadata__"]?["teacher_sha256"]?.string, Self.bytes(hex: hex) != nil else {
                throw ExportError.run(path: file, reason: "no teacher_sha256 (64 hex digits) in the metadata: not a teacher cache file")
            }
            if let found, found.hex != hex {
                throw ExportError.run(path: folder, reason: "\(found.file) and \(name) were made by different teachers")
            }
            found = (name, hex)
        }
        return found.flatMap { Self.bytes(hex: $0.hex) } ?? []
    }

    /// The last value of every number in `metrics.jsonl` (`step` as `steps`), in order of first appearance.
    func finalMetrics() throws -> [BundleMetric] {
        let file = path + "/metrics.jsonl"
        guard FileManager.default.fileExists(atPath: file) else { return [] }
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var names: [String] = [], values: [String: Double] = [:]
        for (i, line) in text.split(separator: "\n").enumerated() {
            let json = try Array(line.utf8).withUnsafeBytes { try JSONParser.parse($0, path: "\(file), line \(i + 1)") }
            guard case .object(let members) = json else {
                throw ExportError.run(path: file, reason: "line \(i + 1) is not a JSON object")
            }
            for (key, value) in members {
                guard case .number(let literal) = value, let number = Double(literal), number.isFinite else { continue }
                let name = key == "step" ? "steps" : key
                if values[name] == nil { names.append(name) }
                values[name] = number
            }
        }
        return names.map { BundleMetric(name: $0, value: values[$0]!) }
    }

    /// The JSON header of a safetensors file, or of the one a `.zst` file holds (only the header is decompressed).
    static func safetensorsHeader(_ file: String, compressed: Bool) throws -> JSONValue {
        let mapped = try MappedFile(path: file)
        func prefix(_ count: Int) throws -> [UInt8] {
            if !compressed {
                guard mapped.bytes.count >= count else { throw ExportError.run(path: file, reason: "truncated safetensors header") }
                return Array(mapped.bytes[0..<count])
            }
            return try decompressedPrefix(mapped.bytes, count: count, file: file)
        }
        let length = try prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        guard length > 0, length <= 100 << 20 else {
            throw ExportError.run(path: file, reason: "safetensors header length \(length) is not in 1...\(100 << 20)")
        }
        return try prefix(8 + length).dropFirst(8).withUnsafeBytes { try JSONParser.parse($0, path: file, baseOffset: 8) }
    }

    /// The first `count` bytes of the zstd frame `frame`'s content, decompressing no further.
    static func decompressedPrefix(_ frame: UnsafeRawBufferPointer, count: Int, file: String) throws -> [UInt8] {
        guard let stream = ZSTD_createDStream() else { throw ExportError.run(path: file, reason: "zstd: out of memory") }
        defer { ZSTD_freeDStream(stream) }
        var out = [UInt8](repeating: 0, count: count)
        let produced = try out.withUnsafeMutableBytes { buffer -> Int in
            var input = ZSTD_inBuffer(src: frame.baseAddress, size: frame.count, pos: 0)
            var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: count, pos: 0)
            while output.pos < count {
                let before = (input.pos, output.pos)
                let result = ZSTD_decompressStream(stream, &output, &input)
                if ZSTD_isError(result) != 0 {
                    throw ExportError.run(path: file, reason: "zstd: " + String(cString: ZSTD_getErrorName(result)))
                }
                if result == 0 || (input.pos, output.pos) == before { break }
            }
            return output.pos
        }
        guard produced == count else { throw ExportError.run(path: file, reason: "truncated safetensors header") }
        return out
    }

    /// 32 bytes from 64 hex digits.
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        for i in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
