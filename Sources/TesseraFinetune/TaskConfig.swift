import Foundation
import TesseraModels
import Yams

/// prov-gigapath's task config (`finetune/task_configs/*.yaml`): what the classes are and how the
/// task is scored. Upstream reads it with `yaml.load` and looks fields up with defaults; here the
/// fields are checked once, when the file is read, so a typo fails before any training.
///
/// Legend: K = the number of classes (label_dict's size).
///
/// ```yaml
/// name: panda
/// setting: multi_class        # multi_class (default), binary or multi_label
/// label_dict: {0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
/// max_tiles: 1000000          # kept for the fine-tuning run; the metrics ignore it
/// shuffle_tiles: true
/// add_metrics: ['qwk']
/// ```
public struct TaskConfig: Equatable, Sendable {
    /// The metrics a config may add to the standard ones (`add_metrics`). Upstream's `MakeMetrics`
    /// would also take `bacc` and `acc` there, but for multi_class they are always computed, so
    /// only `qwk` (quadratic-weighted Cohen's kappa of the argmax classes) is accepted.
    public enum AddedMetric: String, Sendable, CaseIterable {
        case qwk
    }

    /// `name`, when the file gives one.
    public var name: String?
    /// `setting`; upstream's default is multi_class.
    public var setting: SlideClassifier.Setting
    /// label_dict's keys sorted by their values: the class (or label) names in output order [K].
    /// YAML keys that are numbers (panda's `0: 0`) are kept as the text the file wrote ("0").
    public var classNames: [String]
    /// `add_metrics`, in the file's order.
    public var addMetrics: [AddedMetric]
    /// `max_tiles` and `shuffle_tiles` when present (the fine-tuning data loader's; upstream's
    /// defaults are 1000 and false).
    public var maxTiles: Int?
    public var shuffleTiles: Bool?

    public init(name: String? = nil, setting: SlideClassifier.Setting = .multiClass, classNames: [String],
                addMetrics: [AddedMetric] = [], maxTiles: Int? = nil, shuffleTiles: Bool? = nil) {
        self.name = name
        self.setting = setting
        self.classNames = classNames
        self.addMetrics = addMetrics
        self.maxTiles = maxTiles
        self.shuffleTiles = shuffleTiles
    }

    /// K.
    public var classCount: Int { classNames.count }

    /// label_dict as upstream holds it: name → output index.
    public var labelDict: [String: Int] {
        Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($0.element, $0.offset) })
    }

    /// Reads and checks the YAML file at `path`; errors name the file and the field.
    public static func load(path: String) throws(FinetuneError) -> TaskConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badInput(file: path, reason: "cannot read the task config")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .badInput(file: path, reason: "not UTF-8 text") }
        return try TaskConfig(yaml: text, file: path)
    }

    /// Parses the YAML `text` of the file `file` (named in errors).
    public init(yaml text: String, file: String) throws(FinetuneError) {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw .badInput(file: file, reason: "not valid YAML: \(Self.oneLine(error))") }
        guard let mapping = root?.mapping else { throw .badInput(file: file, reason: "expected a YAML mapping of task fields") }
        func field(_ name: String) -> Node? { mapping[name] }
        func wrong(_ name: String, _ reason: String) -> FinetuneError { .badField(file: file, field: name, reason: reason) }

        if let node = field("name") {
            guard let scalar = node.scalar else { throw wrong("name", "expected a text") }
            name = scalar.string
        } else {
            name = nil
        }

        if let node = field("setting") {
            let choices = SlideClassifier.Setting.allCases.map(\.rawValue).joined(separator: ", ")
            guard let text = node.scalar?.string, let value = SlideClassifier.Setting(rawValue: text) else {
                throw wrong("setting", "expected one of \(choices), got \(Self.shown(node))")
            }
            setting = value
        } else {
            setting = .multiClass
        }

        guard let labels = field("label_dict") else { throw wrong("label_dict", "missing (the class names and their indices)") }
        guard let pairs = labels.mapping, !pairs.isEmpty else {
            throw wrong("label_dict", "expected a non-empty mapping of class name to index, got \(Self.shown(labels))")
        }
        var byIndex: [Int: String] = [:]
        for (key, value) in pairs {
            guard let keyText = key.scalar?.string else { throw wrong("label_dict", "a key is not a scalar: \(Self.shown(key))") }
            guard value.tag.rawValue == Tag.Name.int.rawValue, let index = value.int else {
                throw wrong("label_dict", "'\(keyText)' maps to \(Self.shown(value)), expected an integer index")
            }
            guard (0..<pairs.count).contains(index) else {
                throw wrong("label_dict", "'\(keyText)' maps to \(index); the \(pairs.count) indices must be 0...\(pairs.count - 1)")
            }
            if let other = byIndex[index] { throw wrong("label_dict", "'\(other)' and '\(keyText)' both map to \(index)") }
            byIndex[index] = keyText
        }
        let names = (0..<pairs.count).map { byIndex[$0]! }
        // Two keys with the same text (1 and '1') would be one class to a CSV: refuse them here.
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw wrong("label_dict", "the key '\(twice)' appears twice")
        }
        if setting == .binary && names.count != 2 { throw wrong("label_dict", "a binary task has 2 classes, not \(names.count)") }
        classNames = names

        if let node = field("add_metrics"), node.null == nil {
            guard let items = node.sequence else { throw wrong("add_metrics", "expected a list, got \(Self.shown(node))") }
            var metrics: [AddedMetric] = []
            for item in items {
                let known = AddedMetric.allCases.map(\.rawValue).joined(separator: ", ")
                guard let text = item.scalar?.string, let metric = AddedMetric(rawValue: text) else {
                    throw wrong("add_metrics", "unknown metric \(Self.shown(item)) (known: \(known))")
                }
                if !metrics.contains(metric) { metrics.append(metric) }
            }
            addMetrics = metrics
        } else {
            addMetrics = []
        }

        if let node = field("max_tiles") {
            guard node.tag.rawValue == Tag.Name.int.rawValue, let value = node.int, value > 0 else {
                throw wrong("max_tiles", "expected a positive integer, got \(Self.shown(node))")
            }
            maxTiles = value
        } else {
            maxTiles = nil
        }
        if let node = field("shuffle_tiles") {
            guard node.tag.rawValue == Tag.Name.bool.rawValue, let value = node.bool else { throw wrong("shuffle_tiles", "expected true or false, got \(Self.shown(node))") }
            shuffleTiles = value
        } else {
            shuffleTiles = nil
        }
    }

    /// A node as the message shows it: a scalar's text, else its kind.
    private static func shown(_ node: Node) -> String {
        if let scalar = node.scalar { return "'\(scalar.string)'" }
        return node.mapping != nil ? "a mapping" : "a list"
    }

    /// Yams' message for a parse error on one line: the problem and where (libyaml's errors
    /// carry a snippet of the text over several lines).
    private static func oneLine(_ error: Error) -> String {
        if let error = error as? YamlError {
            switch error {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                return "\(problem) at line \(mark.line), column \(mark.column)"
            default: break
            }
        }
        return "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
    }
}
