import CPosix
import TesseraCore
import TesseraIO

/// One command's pass over a dataset's shard, the one loop of `tessera embed`, `tessera tile`
/// and `tessera-edge run` on a DATASET: each slide of the shard gets one output in `folder`
/// (`<slide name><suffix>`); a slide whose output records this run's `stamp` is skipped (up
/// to date), any other is redone; one slide's failure is reported by name and the rest go on;
/// `summary.json` in `folder` says what became of each slide (`DatasetSummary`).
/// Outputs are written atomically by `process` (a renamed temporary), so a slide killed midway
/// leaves nothing that records a stamp. See formats/dataset.md.
public struct DatasetRun {
    /// The metadata key of a `.safetensors` output's stamp, and the file in a folder output
    /// (`tessera tile`'s slide folder) that holds its stamp.
    public static let stampKey = "tessera.dataset.input", stampFileName = "dataset-input.json"

    public let slides: [SlideDataset.Slide]
    public let shard: Shard
    public let folder: String
    /// What follows a slide's name in its output's name: `.safetensors`, or nothing for a folder.
    public let suffix: String
    /// What the outputs depend on besides the slide (the weights' sha256, the options that
    /// change the numbers), as the command states it: part of every stamp.
    public let settings: String

    /// Why one slide has no output: the message names what went wrong.
    public struct SlideFailure: Error {
        public let reason: String
        public init(_ reason: String) { self.reason = reason }
    }

    /// `dataset`'s slides of `shard` (in the dataset's order).
    public init(dataset: SlideDataset, shard: Shard, folder: String, suffix: String, settings: String) {
        slides = shard.part(of: dataset.slides)
        self.shard = shard
        self.folder = folder
        self.suffix = suffix
        self.settings = settings
    }

    public func output(of slide: SlideDataset.Slide) -> String { folder + "/" + slide.name + suffix }

    /// The stamp of `slide`'s output: the slide's identity (its absolute path, links resolved,
    /// its size and modification time, so a replaced or changed file is redone) and `settings`,
    /// as one JSON object's text.
    public func stamp(of slide: SlideDataset.Slide) -> String {
        var info = stat()
        let found = stat(slide.path, &info) == 0
        let resolved = realpath(slide.path, nil)
        defer { free(resolved) }
        let fields: [(key: String, value: JSONValue)] = [
            ("slide", .string(resolved.map { String(cString: $0) } ?? slide.path)),
            ("size", .number(found ? String(Int64(info.st_size)) : "0")),
            ("mtime_ns", .number(found ? String(tessera_mtime_ns(&info)) : "0")),
            ("settings", .string(settings)),
        ]
        return JSONValue.object(fields).serialized()
    }

    /// Runs `process(slide, output, stamp)` on every slide of the shard whose output's
    /// `recorded` stamp (nil: none, or the output does not open) is not its stamp, merging each
    /// slide's outcome into summary.json as it comes (a job killed by its time limit leaves the
    /// slides it finished recorded). `report` gets progress and failures, one line each.
    public func run(recorded: (String) -> String?,
                    process: (SlideDataset.Slide, String, String) throws(SlideFailure) -> Void,
                    report: (String) -> Void) throws(FormatError) -> DatasetSummary {
        guard mkdir(folder, 0o777) == 0 || tessera_errno() == EEXIST, TileList.isFolder(folder) else {
            throw FormatError(path: folder, problem: .io(operation: "create the output folder", errno: tessera_errno()))
        }
        var summary = DatasetSummary(folder: folder)
        let start = MonotonicClock.seconds
        var worked = 0
        for (i, slide) in slides.enumerated() {
            let stamp = stamp(of: slide), output = output(of: slide)
            let head = "slide \(i + 1) of \(slides.count) (shard \(shard)): \(slide.name)"
            if recorded(output) == stamp {
                report(head + ": up to date, skipped")
                try summary.merge(slide, .skipped("up to date"), shard: shard)
                continue
            }
            report(head)
            let outcome: DatasetSummary.Outcome
            do {
                try process(slide, output, stamp)
                outcome = .done
            } catch {
                report("error: \(slide.name): \(error.reason)")
                outcome = .failed(error.reason)
            }
            try summary.merge(slide, outcome, shard: shard)
            // The rate and ETA of the slides worked on: a skipped one takes no time.
            worked += 1
            let elapsed = MonotonicClock.seconds - start, rate = Double(worked) / max(elapsed, 1e-9)
            report("\(i + 1) of \(slides.count) slides, \(Self.fixed(rate * 60)) slides/min, ETA \(Self.fixed(Double(slides.count - i - 1) / rate)) s")
        }
        return summary
    }

    /// The stamp a `.safetensors` output records; nil when it has none or is not whole.
    public static func recordedStamp(inFile path: String) -> String? {
        (try? SafeTensors.metadata(ofFileAt: path))?[stampKey]
    }

    /// The stamp a folder output records in its `stampFileName`; nil when it has none.
    public static func recordedStamp(inFolder path: String) -> String? {
        guard let file = try? MappedFile(path: path + "/" + stampFileName) else { return nil }
        return String(decoding: file.bytes, as: UTF8.self)
    }

    /// `value` with one decimal (no Foundation formatting on the edge).
    static func fixed(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}
