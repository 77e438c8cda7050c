import CPosix
import TesseraCore
import TesseraIO

/// A dataset run's `summary.json` (formats/dataset.md): per slide `done`, `skipped` (with why)
/// or `failed` (with the reason), and the counts. Several shards share one output folder, so a
/// run merges, after each of its slides: under an exclusive flock on `summary.json.lock` it
/// reads the summary there, replaces that slide's entry, and writes the whole atomically;
/// shards take turns, and a shard's entries survive every other shard's run.
public struct DatasetSummary {
    public static let fileName = "summary.json", lockName = "summary.json.lock"
    public static let versionKey = "tessera.dataset_summary", version = "1"

    public enum Outcome {
        case done
        case skipped(String)
        case failed(String)
    }

    public let folder: String
    public var path: String { folder + "/" + Self.fileName }
    /// This run's slides: how many were written, skipped as up to date, or failed.
    public private(set) var done = 0, skipped = 0, failed = 0
    /// This run's failed slides: name and reason.
    public private(set) var failures: [(name: String, reason: String)] = []

    public init(folder: String) { self.folder = folder }

    /// This run's counts, for the end of a command's report.
    public var line: String {
        "\(done) done, \(skipped) skipped (up to date), \(failed) failed of \(done + skipped + failed) slides -> \(path)"
    }

    /// The message a command fails with when a slide failed (exit status 1), nil when none did.
    public var failureMessage: String? {
        failures.isEmpty ? nil : "\(failed) slide\(failed == 1 ? "" : "s") failed: "
            + failures.map { "\($0.name) (\($0.reason))" }.joined(separator: "; ")
    }

    /// Counts `slide`'s `outcome` and merges it into the file (see above).
    mutating func merge(_ slide: SlideDataset.Slide, _ outcome: Outcome, shard: Shard) throws(FormatError) {
        var fields: [(key: String, value: JSONValue)]
        switch outcome {
        case .done:
            done += 1
            fields = [("status", .string("done"))]
        case .skipped(let why):
            skipped += 1
            fields = [("status", .string("skipped")), ("reason", .string(why))]
        case .failed(let reason):
            failed += 1
            failures.append((slide.name, reason))
            fields = [("status", .string("failed")), ("reason", .string(reason))]
        }
        fields += [("path", .string(slide.path)), ("shard", .string(shard.description))]
        var entries: [(key: String, value: JSONValue)] = [(slide.name, .object(fields))]
        let lockPath = folder + "/" + Self.lockName
        let lock = tessera_open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o666)
        guard lock >= 0 else { throw FormatError(path: lockPath, problem: .io(operation: "open the lock", errno: tessera_errno())) }
        defer { close(lock) }  // which releases the flock
        while flock(lock, LOCK_EX) != 0 {
            guard tessera_errno() == EINTR else { throw FormatError(path: lockPath, problem: .io(operation: "flock", errno: tessera_errno())) }
        }
        // The other slides, as the runs before left them; a summary that does not parse is replaced.
        for (name, entry) in Self.slides(in: path) where name != slide.name { entries.append((name, entry)) }
        entries.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        var counts: [String: Int] = ["done": 0, "skipped": 0, "failed": 0]
        for entry in entries { if let status = entry.value["status"]?.string { counts[status, default: 0] += 1 } }
        let document = JSONValue.object([
            (Self.versionKey, .string(Self.version)),
            ("counts", .object(["done", "skipped", "failed"].map { ($0, .number(String(counts[$0] ?? 0))) })),
            ("slides", .object(entries)),
        ])
        let file = try AtomicFile(path: path)
        let text = Array((document.serialized(pretty: true) + "\n").utf8)
        // withUnsafeBytes rethrows untyped errors: the typed one travels in a Result.
        try text.withUnsafeBytes { bytes in Result { () throws(FormatError) in try file.write(bytes) } }.get()
        try file.commit()
    }

    /// The `slides` entries of the summary at `path`; none when it is missing or unreadable.
    static func slides(in path: String) -> [(key: String, value: JSONValue)] {
        guard let file = try? MappedFile(path: path),
              let document = try? JSONParser.parse(file.bytes, path: path),
              case .object(let slides)? = document["slides"] else { return [] }
        return slides
    }
}
