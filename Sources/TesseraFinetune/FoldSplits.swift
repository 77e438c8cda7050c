import CSV
import Foundation
import TesseraFormats
import TesseraTrain

/// Train, validation and test parts of a dataset for each fold, as split-key values (slide ids, or
/// patient ids with upstream's `--pat_strat`).
///
/// On disk (upstream's `get_splits`): a folder with `train_{k}.csv`, `val_{k}.csv` and
/// `test_{k}.csv` for k = 0, 1, ...; each holds a column named like the key (`slide_id` or
/// `pat_id`) and any others (upstream writes whole pandas rows, its index first under an empty
/// name). Slide ids are compared as `SlideLabels.featureID` gives them (".svs" removed).
///
/// Without such a folder, `crossValidation` makes K folds (see there, and docs/models.md §6.7);
/// `write` records them in the same form, so a run keeps the splits it used and upstream's tools
/// can read them.
public struct FoldSplits: Equatable, Sendable {
    /// The column that defines a split: upstream's `split_key`.
    public enum Key: String, Sendable, CaseIterable {
        case slideID = "slide_id"
        case patientID = "pat_id"
    }

    /// One fold: split-key values, each in at most one part.
    public struct Fold: Equatable, Sendable {
        public var train: [String]
        public var val: [String]
        public var test: [String]
        public init(train: [String], val: [String], test: [String]) {
            self.train = train
            self.val = val
            self.test = test
        }
    }

    public var key: Key
    public var folds: [Fold]

    public init(key: Key, folds: [Fold]) {
        self.key = key
        self.folds = folds
    }

    /// The file names of fold k's parts.
    public static func fileNames(fold k: Int) -> (train: String, val: String, test: String) {
        ("train_\(k).csv", "val_\(k).csv", "test_\(k).csv")
    }

    /// Reads folds 0, 1, ... from `folder` (every k whose three files are there, from 0 up to the
    /// first missing one; `folds` asks for exactly that many). Errors name the file: a missing
    /// key column, a value in two parts of one fold.
    public static func read(folder: String, key: Key, folds: Int? = nil) throws(FinetuneError) -> FoldSplits {
        var result: [Fold] = []
        var k = 0
        while folds.map({ k < $0 }) ?? true {
            let names = fileNames(fold: k)
            let paths = [names.train, names.val, names.test].map { folder + "/" + $0 }
            let present = paths.filter { FileManager.default.fileExists(atPath: $0) }
            if present.isEmpty && folds == nil && k > 0 { break }
            guard present.count == 3 else {
                let missing = paths.filter { !present.contains($0) }
                throw .badInput(file: missing[0], reason: "missing: fold \(k) needs train_\(k).csv, val_\(k).csv and test_\(k).csv")
            }
            let parts = try paths.map { path throws(FinetuneError) in try readPart(path, key: key) }
            var seen: [String: String] = [:]
            for (part, path) in zip(parts, paths) {
                for value in part {
                    if let other = seen[value] {
                        throw .badInput(file: path, reason: "\(key.rawValue) '\(value)' is also in \(other): a fold's parts must not overlap")
                    }
                    seen[value] = path
                }
            }
            result.append(Fold(train: parts[0], val: parts[1], test: parts[2]))
            k += 1
        }
        return FoldSplits(key: key, folds: result)
    }

    /// The distinct key values of one split file, in file order.
    private static func readPart(_ path: String, key: Key) throws(FinetuneError) -> [String] {
        let values = try CSVTable.read(path: path).column(key.rawValue)
        var seen = Set<String>()
        var result: [String] = []
        for (row, raw) in values.enumerated() {
            let value = key == .slideID ? SlideLabels.featureID(raw) : raw
            guard !value.isEmpty else { throw .badRow(file: path, row: row + 1, reason: "empty \(key.rawValue)") }
            if seen.insert(value).inserted { result.append(value) }
        }
        return result
    }

    /// K-fold cross-validation of `labels` by `key`, deterministic for a `seed`:
    ///
    /// 1. The distinct keys are grouped by class (multi_class, binary: a patient's class is its
    ///    first slide's; multi_label: one group), groups in class order, keys in first-seen order.
    /// 2. Each group is shuffled (Fisher-Yates with TesseraTrain's `RandomGenerator(seed:)`, one
    ///    stream for all groups) and dealt round-robin into the K test folds, the deal carrying on
    ///    from group to group, so every key is in exactly one test fold, fold sizes differ by at
    ///    most one and each class is spread evenly (stratified).
    /// 3. Fold k's validation part: from each group's keys outside test fold k, shuffled again with
    ///    `RandomGenerator(seed: seed + k + 1)`, the first round(valRatio × count); the rest train.
    ///
    /// This is not upstream's split: `get_splits` draws one train/val/test split per fold with
    /// scikit-learn's `train_test_split(random_state=fold)` (numpy's RNG), unstratified, so test
    /// parts of different folds overlap. Reproducing numpy's stream is not attempted; use
    /// upstream's split files (`read`) for its exact splits.
    public static func crossValidation(labels: SlideLabels, key: Key, folds: Int, valRatio: Double,
                                       seed: UInt64) throws(FinetuneError) -> FoldSplits {
        let keys = try labels.keys(key)
        var order: [String] = []
        var classOf: [String: Int] = [:]
        for (row, value) in keys.enumerated() where classOf[value] == nil {
            order.append(value)
            classOf[value] = labels.classIndex?[row] ?? 0
        }
        guard folds >= 2 else { throw .badArgument("cross-validation needs at least 2 folds, got \(folds)") }
        guard folds <= order.count else {
            throw .badArgument("\(folds) folds need at least \(folds) distinct \(key.rawValue) values; \(labels.file) has \(order.count)")
        }
        guard valRatio >= 0 && valRatio < 1 else { throw .badArgument("the validation ratio must be in [0, 1), got \(valRatio)") }
        let groups = Dictionary(grouping: order) { classOf[$0]! }.sorted { $0.key < $1.key }.map(\.value)

        var generator = RandomGenerator(seed: seed)
        var testFold: [String: Int] = [:]
        var dealt = 0
        var shuffledGroups: [[String]] = []
        for group in groups {
            let shuffled = generator.shuffled(group)
            for value in shuffled {
                testFold[value] = dealt % folds
                dealt += 1
            }
            shuffledGroups.append(shuffled)
        }
        var result: [Fold] = []
        for k in 0..<folds {
            var fold = Fold(train: [], val: [], test: [])
            var foldGenerator = RandomGenerator(seed: seed &+ UInt64(k) &+ 1)
            for group in shuffledGroups {
                fold.test += group.filter { testFold[$0] == k }
                let rest = foldGenerator.shuffled(group.filter { testFold[$0] != k })
                let validation = Int((valRatio * Double(rest.count)).rounded())
                fold.val += rest.prefix(validation)
                fold.train += rest.dropFirst(validation)
            }
            result.append(fold)
        }
        return FoldSplits(key: key, folds: result)
    }

    /// The rows of `labels` [S] in each part of fold `k`, in `labels`' order. Key values the labels
    /// do not hold match nothing (upstream's `isin` does the same); `unmatched` lists them.
    public func rows(fold k: Int, labels: SlideLabels) throws(FinetuneError)
        -> (train: [Int], val: [Int], test: [Int], unmatched: [String]) {
        let keys = try labels.keys(key)
        let fold = folds[k]
        func rows(_ part: [String]) -> [Int] {
            let wanted = Set(part)
            return keys.indices.filter { wanted.contains(keys[$0]) }
        }
        let known = Set(keys)
        let unmatched = (fold.train + fold.val + fold.test).filter { !known.contains($0) }
        return (rows(fold.train), rows(fold.val), rows(fold.test), unmatched)
    }

    /// Writes every fold's three files into `folder` (which must exist), each atomically: an index
    /// column with an empty name (as pandas writes it), then the key column, then `slide_id` as
    /// the CSV wrote it (when the key is `pat_id`, the patient's slides, one row each).
    public func write(to folder: String, labels: SlideLabels) throws(FinetuneError) {
        let keys = try labels.keys(key)
        for (k, fold) in folds.enumerated() {
            let names = Self.fileNames(fold: k)
            for (name, part) in [(names.train, fold.train), (names.val, fold.val), (names.test, fold.test)] {
                var lines = [["", key.rawValue] + (key == .patientID ? ["slide_id"] : [])]
                let rank = Dictionary(uniqueKeysWithValues: part.enumerated().map { ($0.element, $0.offset) })
                // Rows in the part's order; a patient's slides in the labels' order.
                let members = keys.indices.filter { rank[keys[$0]] != nil }.sorted { rank[keys[$0]]! < rank[keys[$1]]! }
                for (index, row) in members.enumerated() {
                    lines.append(["\(index)", keys[row]] + (key == .patientID ? [labels.csvSlideIDs[row]] : []))
                }
                try Self.writeCSV(lines, to: folder + "/" + name)
            }
        }
    }

    /// `lines` as CSV (fields quoted where they must be), written atomically to `path`.
    static func writeCSV(_ lines: [[String]], to path: String) throws(FinetuneError) {
        let stream = OutputStream(toMemory: ())
        stream.open()
        do {
            let writer = try CSVWriter(stream: stream)
            for line in lines { try writer.write(row: line) }
            writer.stream.close()
        } catch {
            throw .badInput(file: path, reason: "cannot format CSV: \(error)")
        }
        var bytes = [UInt8]((stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data) ?? Data())
        bytes.append(0x0A)  // CSVWriter puts newlines between rows only
        do {
            try AtomicOutput.write(to: path) { sink in try bytes.withUnsafeBytes { try sink($0) } }
        } catch {
            throw .badInput(file: path, reason: "cannot write: \(error)")
        }
    }
}
