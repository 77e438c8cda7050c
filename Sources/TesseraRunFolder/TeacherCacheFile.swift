import Foundation
import TesseraCore
import TesseraFormats

/// One slide's file of a teacher cache (formats/teacher-cache.md): its name, its metadata keys,
/// and reading it, raw or zstd-compressed. The distillation's `TeacherCache` writes and
/// validates these files; export reads the teacher's SHA-256 from them.
public enum TeacherCacheFile {
    /// The format version (`tessera.teacher_cache`) of a file whose teacher computed in
    /// `teacherPrecision`: "2" for f32, as before bf16 existed (those files stay valid); "3", with
    /// `teacher_precision`, for bf16, which versions that know no precision then refuse.
    public static func version(teacherPrecision: String) -> String { teacherPrecision == "f32" ? "2" : "3" }
    public static let versionKey = "tessera.teacher_cache", slideKey = "slide", teacherSHA256Key = "teacher_sha256",
                      teacherSlideSHA256Key = "teacher_slide_sha256", preprocessingKey = "preprocessing",
                      skippedTilesKey = "skipped_tiles", teacherPrecisionKey = "teacher_precision"
    static let rawSuffix = ".safetensors", compressedSuffix = ".safetensors.zst"

    /// The file of a slide in `folder`: the slide's name with every character but letters,
    /// digits, `-` and `_` replaced by `_`, then `-` and the first 16 hex digits of the SHA-256 of
    /// `source` (the slide's absolute path): slides whose names differ only in replaced
    /// characters, or a validation slide named like a training slide, never share a file.
    public static func path(folder: String, slide: String, source: String, compressed: Bool) -> String {
        let name = slide.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? String($0) : "_" }.joined()
        let digest = Array(source.utf8).withUnsafeBytes { SHA256.hex(SHA256.digest($0)) }
        return folder + "/" + name + "-" + digest.prefix(16) + (compressed ? compressedSuffix : rawSuffix)
    }

    /// The lock file of a slide's file while one process computes it (`RunFolderLock`), beside it.
    public static func lockPath(folder: String, slide: String, source: String) -> String {
        let raw = path(folder: folder, slide: slide, source: source, compressed: false)
        return raw.dropLast(rawSuffix.count) + ".lock"
    }

    /// A slide's identity in a cache: the absolute path of its folder (or file), links resolved,
    /// as run.json records paths.
    public static func source(ofSlideAt path: String) -> String { RunFolder.resolved(path) }

    /// The slide's file that exists (the compressed one first), if any.
    public static func existing(folder: String, slide: String, source: String) -> String? {
        [true, false].map { path(folder: folder, slide: slide, source: source, compressed: $0) }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Every cache file in `folder`, sorted by name (none when the folder is missing).
    public static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(rawSuffix) || $0.hasSuffix(compressedSuffix) }.sorted().map { folder + "/" + $0 }
    }

    /// Whether `file` is empty: a write cut short before its first byte (a kill, a full disk),
    /// which `contents` and `metadata` refuse as such rather than as a corrupt file.
    public static func isEmpty(_ file: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) == 0
    }

    private static func requireContent(_ file: String) throws {
        if isEmpty(file) {
            throw RunFolderError(path: file, problem: "is an empty teacher-cache file (its write never finished): remove it, "
                                 + "or run again with --recompute-cache")
        }
    }

    /// The tensors of `file`, or of its zstd content, unpacked to a temporary file in the file's
    /// folder that is unlinked once mapped (the mapping keeps its pages).
    public static func contents(of file: String) throws -> StateDict {
        try requireContent(file)
        guard file.hasSuffix(compressedSuffix) else { return try SafeTensors.read(path: file) }
        let frame = try Data(contentsOf: URL(fileURLWithPath: file))
        let raw = try Zstd.decompress(frame, limit: 1 << 40, name: file)
        let temporary = URL(fileURLWithPath: file).deletingLastPathComponent().path
            + "/.tessera-unpacked-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try raw.write(to: URL(fileURLWithPath: temporary))
        defer { unlink(temporary) }
        return try SafeTensors.read(path: temporary)
    }

    /// The metadata of `file`; of a compressed file only the header is decompressed.
    public static func metadata(of file: String) throws -> [String: String] {
        try requireContent(file)
        let mapped = try MappedFile(path: file)
        guard file.hasSuffix(compressedSuffix) else {
            return try SafeTensors.metadata(path: file, size: mapped.bytes.count) { Array(mapped.bytes[..<$0]) }
        }
        guard let size = Zstd.contentSize(mapped.bytes) else {
            throw Zstd.Failure(description: "\(file): not a zstd frame that declares its content size")
        }
        return try SafeTensors.metadata(path: file, size: size) { try Zstd.prefix(mapped.bytes, count: $0, name: file) }
    }
}
