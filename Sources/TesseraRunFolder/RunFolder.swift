import Foundation
import TesseraCore
import TesseraFormats

/// A distillation run's folder (`tessera distill -o RUN`, formats/run-folder.md): the one place
/// its files are named and `run.json` is read and written. The distillation writes the folder;
/// export reads it (the student, the slide student, the teacher-space head and the provenance)
/// without the distillation's code.
public struct RunFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The version of `run.json` written; every version up to it is read.
    /// 1: the options (no `version` key). 2: `version` and `threads`. 3: paths absolute, and the
    /// run's identity (`RunIdentity`).
    public static let optionsVersion = 3

    /// The run's options (`DistillationOptions`).
    public var options: String { path + "/run.json" }
    /// The trainer's state, rewritten atomically every `checkpointEvery` steps and at the end.
    public var checkpoint: String { path + "/checkpoint.safetensors" }
    /// The checkpoint's metadata keys for the run it belongs to: run.json's `uuid`, and the
    /// options it was written with (`DistillationOptions.encoded`).
    public static let checkpointUUIDKey = "tessera.run.uuid", checkpointOptionsKey = "tessera.run.options"
    /// One JSON object per step and per validation (`MetricsLog`).
    public var metrics: String { path + "/metrics.jsonl" }
    /// The teacher's targets (formats/teacher-cache.md) unless the options name another folder.
    public func teacherCache(_ options: DistillationOptions) -> String { options.cacheFolder ?? path + "/teacher_cache" }
    /// The student tile encoder, a Hugging Face timm folder: `model.safetensors` and `config.json`.
    public var student: String { path + "/student" }
    public var studentWeights: String { student + "/model.safetensors" }
    public var studentConfig: String { student + "/config.json" }
    /// The student slide encoder: `slide_encoder.safetensors` and `config.json`.
    public var slideStudent: String { path + "/slide_student" }
    public var slideStudentWeights: String { slideStudent + "/slide_encoder.safetensors" }
    public var slideStudentConfig: String { slideStudent + "/config.json" }
    /// The adaptor alone: `weight` [D_t, D_s] and `bias` [D_t].
    public var adaptor: String { path + "/adaptor.safetensors" }
    /// The teacher-space head (`TeacherHead`).
    public var teacherHead: String { path + "/teacher_head.safetensors" }

    /// The names inside `teacher_head.safetensors`: the adaptor under `adaptor.`, the teacher's
    /// final norm under `norm.`, its eps as the metadata's `norm_eps`.
    public enum TeacherHead {
        public static let adaptor = "adaptor", norm = "norm", epsKey = "norm_eps"
    }

    /// Whether the folder holds a run (its `run.json`).
    public var holdsRun: Bool { FileManager.default.fileExists(atPath: options) }

    /// Whether the folder holds a finished run's student: `run.json` and the `student/` folder.
    public var holdsStudent: Bool {
        var isFolder: ObjCBool = false
        return holdsRun && FileManager.default.fileExists(atPath: student, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// Creates the folder for a new run and locks it (`RunFolderLock`); one that already holds a
    /// run is refused. The check is made under the lock: of two new runs in one folder, one wins.
    public func create() throws -> RunFolderLock {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let lock = try RunFolderLock(folder: path, what: "the run")
        if holdsRun { throw RunFolderError(path: path, problem: "already holds a run; resume it or choose another folder") }
        return lock
    }

    /// Locks the folder of a run to resume (`RunFolderLock`).
    public func lock() throws -> RunFolderLock {
        guard holdsRun else { throw RunFolderError(path: path, problem: "holds no run (no run.json)") }
        return try RunFolderLock(folder: path, what: "the run")
    }

    /// Writes `run.json` (version `optionsVersion`) atomically.
    public func write(_ options: DistillationOptions, identity: RunIdentity) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(OptionsFile(version: Self.optionsVersion, options: options, identity: identity))
            .write(to: URL(fileURLWithPath: self.options), options: .atomic)
    }

    /// The first `run.json` version whose runs all train a teacher-space head and write
    /// `teacher_head.safetensors` at their end (the head came before version 2; a version-1 run
    /// may predate it).
    public static let teacherHeadVersion = 2

    /// The options `run.json` holds, as written (export reads them; a resume reads `readRun`).
    public func readOptions() throws -> DistillationOptions { try readFile().options }

    /// The version of `run.json` (1 when it has no `version` key).
    public func readOptionsVersion() throws -> Int { try readFile().version }

    /// The options and identity (nil before version 3) `run.json` holds, every value checked as
    /// a new run's are (`DistillationOptions.validate`): the file may have been edited.
    public func readRun() throws -> (options: DistillationOptions, identity: RunIdentity?) {
        let file = try readFile()
        do {
            try file.options.validate()
            try file.identity?.validate()
        } catch { throw RunFolderError(path: options, problem: "holds a value no run can use: \(error)") }
        return (file.options, file.identity)
    }

    private func readFile() throws -> OptionsFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: options)) } catch {
            throw RunFolderError(path: options, problem: "cannot be read (\(error.localizedDescription))")
        }
        do { return try JSONDecoder().decode(OptionsFile.self, from: data) } catch let error as RunFolderError {
            throw RunFolderError(path: options, problem: error.problem)
        } catch {
            throw RunFolderError(path: options, problem: "is not a run's options (\(error))")
        }
    }

    /// `path` absolute (from the working directory), `.` and `..` and links resolved: the form
    /// run.json records paths in.
    public static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Whether `other` lies inside the run folder (both resolved).
    public func contains(_ other: String) -> Bool {
        Self.resolved(other).hasPrefix(Self.resolved(path) + "/")
    }

    /// `<folder name>@<the first 16 hex digits of run.json's SHA-256>`: the name the user gave the
    /// run and a digest of its complete options (printable ASCII, as a bundle's manifest requires).
    public func runID() throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: options))
        let digest = data.withUnsafeBytes { SHA256.hex(SHA256.digest($0)) }
        let name = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent.unicodeScalars
            .map { (0x20...0x7E).contains($0.value) ? Character($0) : "_" }
        return String(name.prefix(200)) + "@" + digest.prefix(16)
    }

    /// The teacher's weights SHA-256 that every file of the run's teacher cache records (empty
    /// when the cache is gone); the files must agree.
    public func teacherSHA256() throws -> [UInt8] {
        var found: (file: String, bytes: [UInt8])?
        for file in TeacherCacheFile.files(in: teacherCache(try readOptions())) {
            guard let hex = try TeacherCacheFile.metadata(of: file)[TeacherCacheFile.teacherSHA256Key], let bytes = Self.bytes(hex: hex)
            else {
                throw RunFolderError(path: file, problem: "no \(TeacherCacheFile.teacherSHA256Key) (64 hex digits) in the metadata: "
                                     + "not a teacher cache file")
            }
            if let found, found.bytes != bytes {
                throw RunFolderError(path: file, problem: "made by another teacher than \(found.file)")
            }
            found = (file, bytes)
        }
        return found?.bytes ?? []
    }

    /// The last value of every number in `metrics.jsonl`, in order of first appearance (none
    /// when the run has no log).
    public func finalMetrics() throws -> [(name: String, value: Double)] {
        try MetricsLog.finalValues(path: metrics)
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

/// A run folder, or one of its files, that cannot be used as one.
public struct RunFolderError: Error, CustomStringConvertible {
    public let path: String, problem: String
    public var description: String { "\(path) \(problem)" }
}

/// `run.json`: `version` beside the options' own keys (version 1, written before the key
/// existed, has none) and, from version 3, the identity's.
private struct OptionsFile: Codable {
    var version: Int
    var options: DistillationOptions
    var identity: RunIdentity?

    private enum Key: String, CodingKey { case version }

    init(version: Int, options: DistillationOptions, identity: RunIdentity?) {
        self.version = version
        self.options = options
        self.identity = identity
    }

    init(from decoder: any Decoder) throws {
        version = try decoder.container(keyedBy: Key.self).decodeIfPresent(Int.self, forKey: .version) ?? 1
        guard (1...RunFolder.optionsVersion).contains(version) else {
            throw RunFolderError(path: "", problem: "has version \(version); this Tessera reads versions 1...\(RunFolder.optionsVersion)")
        }
        options = try DistillationOptions(from: decoder)
        identity = version >= 3 ? try RunIdentity(from: decoder) : nil
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(version, forKey: .version)
        try options.encode(to: encoder)
        try identity?.encode(to: encoder)
    }
}
