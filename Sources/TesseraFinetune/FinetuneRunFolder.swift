import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraTrain

/// The files of a fine-tuning run folder (formats/finetune-run.md), written and read here only.
/// Every file is written atomically (a temporary name, then a rename).
public enum FinetuneRunFolder {
    /// The options the run was started with (a resume keeps them).
    public static let options = "run.json"
    /// Per fold: the fine-tuned ClassificationHead under upstream's names, and its slide
    /// encoder's config.json with the `classifier` section: a slide-encoder folder that
    /// `tessera export --slide-encoder` and `tessera embed --slide-encoder` read.
    public static let model = "model.safetensors", config = "config.json"
    public static let metrics = "metrics.jsonl", checkpoint = "checkpoint.safetensors"
    /// The cross-validation splits Tessera drew, as upstream's split files.
    public static let splits = "splits"
    /// Every fold's validation and test metrics, and their mean and standard deviation.
    public static let summary = "summary.json"
    static let positionKey = "tessera.finetune.position", optionsKey = "tessera.finetune.options"

    /// Where in its epochs a checkpoint was taken: the next slide to run.
    public struct Position: Codable, Equatable, Sendable {
        public var epoch: Int
        public var batch: Int
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    public static func writeOptions(_ options: FinetuneOptions, to folder: String) throws {
        try AtomicOutput.write(json(options) + "\n", to: folder + "/" + Self.options)
    }

    /// The options recorded in `folder`.
    public static func readOptions(in folder: String) throws -> FinetuneOptions {
        let path = folder + "/" + options
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FinetuneError.badInput(file: path, reason: "cannot be read: is \(folder) a fine-tuning run folder?")
        }
        do { return try JSONDecoder().decode(FinetuneOptions.self, from: data) } catch {
            throw FinetuneError.badInput(file: path, reason: "is not a fine-tuning run's options (\(error))")
        }
    }

    /// A training checkpoint (`TrainingCheckpoint`) with the position and the run's options.
    static func save(_ trainer: Trainer, to path: String, position: Position, options: FinetuneOptions) throws {
        try TrainingCheckpoint.save(trainer, to: path, metadata: [positionKey: try json(position), optionsKey: try json(options)])
    }

    /// Restores a checkpoint written by `save` for these options into `trainer`; returns its position.
    static func restore(_ trainer: Trainer, from path: String, options: FinetuneOptions) throws -> Position {
        let metadata = try TrainingCheckpoint.restore(trainer, from: path)
        guard let positionJSON = metadata[positionKey], let optionsJSON = metadata[optionsKey],
              let position = try? JSONDecoder().decode(Position.self, from: Data(positionJSON.utf8)),
              let recorded = try? JSONDecoder().decode(FinetuneOptions.self, from: Data(optionsJSON.utf8)),
              position.epoch >= 0, position.batch >= 0
        else { throw FinetuneError.badInput(file: path, reason: "is not a fine-tuning checkpoint (no usable position and options)") }
        guard recorded.sameTraining(as: options) else {
            throw FinetuneError.badInput(file: path, reason: "was written with other options than this run's")
        }
        return position
    }

    /// The fine-tuned model: `model.safetensors` (upstream's names) and `config.json`.
    static func writeModel(_ model: ClassificationHead, config: SlideEncoder.Config, to folder: String) throws {
        try SafeTensors.write(model.parameters.stateDict(), to: folder + "/" + Self.model)
        try config.writeConfigJSON(to: folder + "/" + Self.config, classifier: model.classifier.head)
    }

    /// `summary.json`: per fold its steps, validation and test metrics; then each test metric's
    /// mean and (population) standard deviation over the folds, as upstream's summary prints them.
    static func writeSummary(_ results: [FinetuneRun.FoldResult], to folder: String) throws {
        func object(_ metrics: [(name: String, value: Double)]) -> JSONValue {
            .object(metrics.map { (key: $0.name, value: JSONValue.real($0.value)) })
        }
        let folds: [JSONValue] = results.map {
            .object([(key: "fold", value: $0.fold.map(JSONValue.integer) ?? .null), (key: "steps", value: .integer($0.steps)),
                     (key: "validation", value: object($0.validation)), (key: "test", value: object($0.test))])
        }
        var names: [String] = []
        for r in results { for m in r.test where !names.contains(m.name) { names.append(m.name) } }
        let spread: [(name: String, value: Double)] = names.flatMap { name -> [(name: String, value: Double)] in
            let values = results.compactMap { r in r.test.first { $0.name == name }?.value }
            let mean = values.reduce(0, +) / Double(values.count)
            let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
            return [(name + "_mean", mean), (name + "_std", std)]
        }
        let summary = JSONValue.object([(key: "folds", value: .array(folds)), (key: "test", value: object(spread))])
        try AtomicOutput.write(summary.serialized(pretty: true) + "\n", to: folder + "/" + Self.summary)
    }
}
