import CSV
import Foundation

/// prov-gigapath's dataset CSV (`dataset_csv/*/*.csv`, read by `SlideDatasetForTasks`): one row per
/// slide with its `slide_id` and its labels, encoded through a task's label_dict.
///
/// Legend: S = the number of slides (rows), K = the number of classes.
///
/// - multi_class, binary: a `label` column holding class names (label_dict's keys, compared as
///   text: panda's `0`...`5`); each row's target is one-hot [K].
/// - multi_label: one column per label_dict key holding 0/1 (also `True`/`False`, as in upstream's
///   mutation CSV, which its `.astype(int)` reads); each row's target is multi-hot [K].
/// - `pat_id`, when present, is kept: upstream's `--pat_strat` splits by patient on it.
///
/// Other columns (upstream's CSVs have dozens) are ignored. Upstream's `.map(label_dict)` turns
/// an unknown class into NaN silently; here it is an error naming the row.
public struct SlideLabels: Sendable {
    /// The file read (named in errors).
    public let file: String
    /// The slide ids [S] as upstream names the slide's feature file: `slide_id` with every ".svs"
    /// removed (upstream's `slide_id.replace(".svs", "")`).
    public let slideIDs: [String]
    /// `slide_id` as the CSV wrote it [S].
    public let csvSlideIDs: [String]
    /// The targets [S][K]: one-hot (multi_class, binary) or multi-hot (multi_label), as upstream's
    /// evaluation records hold them.
    public let targets: [[Float]]
    /// The class index of each slide [S] (multi_class, binary); nil for multi_label.
    public let classIndex: [Int]?
    /// `pat_id` [S], when the CSV has that column.
    public let patientIDs: [String]?

    /// The id upstream derives a slide's feature file name from: every ".svs" removed.
    public static func featureID(_ slideID: String) -> String {
        slideID.replacingOccurrences(of: ".svs", with: "")
    }

    /// Reads the CSV at `path` for `task`; errors name the file, and the row or column.
    public static func load(path: String, task: TaskConfig) throws(FinetuneError) -> SlideLabels {
        let table = try CSVTable.read(path: path)
        return try SlideLabels(table, task: task)
    }

    /// Parses CSV text (`file` is named in errors).
    public init(csv text: String, file: String, task: TaskConfig) throws(FinetuneError) {
        try self.init(try CSVTable(text: text, file: file), task: task)
    }

    init(_ table: CSVTable, task: TaskConfig) throws(FinetuneError) {
        file = table.file
        let ids = try table.column("slide_id")
        var targets: [[Float]] = []
        var classIndex: [Int]? = nil
        switch task.setting {
        case .multiClass, .binary:
            let labels = try table.column("label")
            let dict = task.labelDict
            var indices: [Int] = []
            for (row, name) in labels.enumerated() {
                guard let index = dict[name] else {
                    let known = task.classNames.map { "'\($0)'" }.joined(separator: ", ")
                    throw .badRow(file: file, row: row + 1, reason: "label '\(name)' is not in the task's label_dict (\(known))")
                }
                indices.append(index)
                var onehot = [Float](repeating: 0, count: task.classCount)
                onehot[index] = 1
                targets.append(onehot)
            }
            classIndex = indices
        case .multiLabel:
            let columns = try task.classNames.map { name throws(FinetuneError) in try table.column(name) }
            for row in ids.indices {
                var multihot = [Float](repeating: 0, count: task.classCount)
                for (k, column) in columns.enumerated() {
                    switch column[row] {
                    case "1", "1.0", "True", "true": multihot[k] = 1
                    case "0", "0.0", "False", "false": break
                    case let other:
                        throw .badRow(file: file, row: row + 1, reason: "column '\(task.classNames[k])' holds '\(other)', expected 0 or 1")
                    }
                }
                targets.append(multihot)
            }
        }
        var seen: [String: Int] = [:]
        var stripped: [String] = []
        for (row, id) in ids.enumerated() {
            let featureID = Self.featureID(id)
            guard !featureID.isEmpty else { throw .badRow(file: file, row: row + 1, reason: "empty slide_id") }
            // Feature files are looked up by slide id: one must not reach outside the folder.
            for name in [featureID, id] where !Self.isFileName(name) {
                throw .badRow(file: file, row: row + 1, reason: "slide_id '\(id)' is not a file name")
            }
            if let first = seen[featureID] {
                throw .badRow(file: file, row: row + 1, reason: "slide_id '\(id)' repeats data row \(first + 1)")
            }
            seen[featureID] = row
            stripped.append(featureID)
        }
        slideIDs = stripped
        csvSlideIDs = ids
        self.targets = targets
        self.classIndex = classIndex
        patientIDs = table.hasColumn("pat_id") ? try table.column("pat_id") : nil
    }

    /// Whether `name` can only name a file inside a folder: not empty, `.` or `..`, no `/` or NUL.
    public static func isFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
    }

    /// S.
    public var count: Int { slideIDs.count }

    /// Each row's value of the split key [S]: the slide id (as `slideIDs`) or `pat_id`.
    public func keys(_ key: FoldSplits.Key) throws(FinetuneError) -> [String] {
        switch key {
        case .slideID: return slideIDs
        case .patientID:
            guard let patientIDs else { throw .badInput(file: file, reason: "no pat_id column to split by patient") }
            return patientIDs
        }
    }
}

/// A CSV file read whole with CSV.swift: the header and the rows as text, every row as wide as
/// the header. pandas' `to_csv` writes its index as a first column with an empty name; that
/// column is kept like any other (nobody asks for it by name).
struct CSVTable {
    let file: String
    let header: [String]
    let rows: [[String]]

    static func read(path: String) throws(FinetuneError) -> CSVTable {
        guard let data = FileManager.default.contents(atPath: path) else { throw .badInput(file: path, reason: "cannot read the file") }
        guard let text = String(data: data, encoding: .utf8) else { throw .badInput(file: path, reason: "not UTF-8 text") }
        return try CSVTable(text: text, file: path)
    }

    init(text: String, file: String) throws(FinetuneError) {
        self.file = file
        // A byte-order mark (Excel's UTF-8 CSVs) is not part of the first column's name.
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let reader: CSVReader
        do { reader = try CSVReader(string: body, hasHeaderRow: true) } catch {
            throw .badInput(file: file, reason: "no CSV header row")
        }
        guard let header = reader.headerRow, header.contains(where: { !$0.isEmpty }) else {
            throw .badInput(file: file, reason: "no CSV header row")
        }
        var rows: [[String]] = []
        while let row = reader.next() {
            // A blank line (often the file's last) is no row.
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count == header.count else {
                throw .badRow(file: file, row: rows.count + 1, reason: "\(row.count) fields, the header has \(header.count)")
            }
            rows.append(row)
        }
        if let error = reader.error { throw .badInput(file: file, reason: "not valid CSV: \(error)") }
        self.header = header
        self.rows = rows
    }

    func hasColumn(_ name: String) -> Bool { header.contains(name) }

    /// The values of the column `name` [rows], trimmed of surrounding spaces.
    func column(_ name: String) throws(FinetuneError) -> [String] {
        let matches = header.indices.filter { header[$0] == name }
        guard let index = matches.first else { throw .badInput(file: file, reason: "no '\(name)' column (columns: \(header.joined(separator: ", ")))") }
        guard matches.count == 1 else { throw .badInput(file: file, reason: "the column '\(name)' appears \(matches.count) times") }
        return rows.map { $0[index].trimmingCharacters(in: .whitespaces) }
    }
}
