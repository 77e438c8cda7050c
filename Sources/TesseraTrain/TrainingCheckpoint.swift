import Foundation
import TesseraCore
import TesseraFormats

/// A training checkpoint: one safetensors file holding `param.<name>`,
/// `adam.exp_avg.<name>` and `adam.exp_avg_sq.<name>` (f32), and under the metadata key
/// `tessera.training` a JSON `Record` with the step, schedule, optimizer settings,
/// per-parameter Adam steps, trainable flags and RNG state; its caller may add metadata of its
/// own (a distillation's run identity). Restoring it into a trainer built for the same model
/// continues bit-identically; a checkpoint of any other model (a tensor missing, misshapen or
/// left over) is refused, as is a negative step.
public enum TrainingCheckpoint {
    public static let metadataKey = "tessera.training"

    struct Record: Codable {
        var formatVersion = 1
        var step: Int
        var schedule: LearningRateSchedule
        var optimizer: AdamW.Settings
        var maxGradNorm: Float?
        /// The RNG's four words as hex (JSON numbers lose bits beyond 2^53).
        var rng: [String]
        var adamSteps: [String: Int]
        var frozen: [String]
    }

    /// Writes `trainer`'s full state and `metadata` to `path` (atomically: temp file then rename).
    public static func save(_ trainer: Trainer, to path: String, metadata: [String: String] = [:]) throws {
        var dict = StateDict()
        dict.metadata = metadata
        var adamSteps: [String: Int] = [:]
        for p in trainer.parameters.parameters {
            dict.set("param." + p.name, p.value)
            if let s = trainer.optimizer.state[p.name] {
                dict.set("adam.exp_avg." + p.name, s.m)
                dict.set("adam.exp_avg_sq." + p.name, s.v)
                adamSteps[p.name] = s.step
            }
        }
        let record = Record(step: trainer.step, schedule: trainer.schedule, optimizer: trainer.optimizer.settings,
                            maxGradNorm: trainer.maxGradNorm,
                            rng: trainer.rng.state.map { String($0, radix: 16) }, adamSteps: adamSteps,
                            frozen: trainer.parameters.parameters.filter { !$0.isTrainable }.map(\.name))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        dict.metadata[metadataKey] = String(decoding: try encoder.encode(record), as: UTF8.self)
        try SafeTensors.write(dict, to: path)
    }

    /// Restores a checkpoint written by `save` into `trainer`, whose parameter set must
    /// have exactly the checkpoint's names and shapes; returns the checkpoint's metadata.
    @discardableResult
    public static func restore(_ trainer: Trainer, from path: String) throws -> [String: String] {
        let dict = try SafeTensors.read(path: path)
        func bad(_ reason: String) -> TrainError { .badCheckpoint(path: path, reason: reason) }
        guard let json = dict.metadata[metadataKey] else { throw bad("no '\(metadataKey)' metadata") }
        let record: Record
        do { record = try JSONDecoder().decode(Record.self, from: Data(json.utf8)) } catch {
            throw bad("metadata '\(metadataKey)' does not decode: \(error)")
        }
        guard record.formatVersion == 1 else { throw bad("format version \(record.formatVersion) is not 1") }
        let words = record.rng.compactMap { UInt64($0, radix: 16) }
        guard words.count == record.rng.count, let rng = RandomGenerator(state: words) else { throw bad("bad RNG state") }
        guard record.step >= 0 else { throw bad("step \(record.step) is negative") }
        let names = Set(trainer.parameters.parameters.map(\.name))
        if let stray = (Array(record.adamSteps.keys) + record.frozen).sorted().first(where: { !names.contains($0) }) {
            throw bad("the record names '\(stray)', which is no parameter of the model")
        }
        if let (name, step) = record.adamSteps.sorted(by: { $0.key < $1.key }).first(where: { $0.value < 0 }) {
            throw bad("the optimizer step of '\(name)' is \(step)")
        }
        // Every tensor must be one the model restores: a left-over one is another model's.
        let expected = Set(names.map { "param." + $0 } + record.adamSteps.keys.flatMap { ["adam.exp_avg." + $0, "adam.exp_avg_sq." + $0] })
        if let stray = dict.names.sorted().first(where: { !expected.contains($0) }) {
            throw bad("tensor '\(stray)' belongs to no parameter of the model (a checkpoint of another model?)")
        }
        for p in trainer.parameters.parameters {
            guard let value = dict["param." + p.name] else { throw bad("tensor 'param.\(p.name)' is missing") }
            guard value.shape == p.shape else { throw bad("tensor 'param.\(p.name)' has shape \(value.shape), the model \(p.shape)") }
        }
        try trainer.parameters.load(dict, prefix: "param.")
        let frozen = Set(record.frozen)
        for p in trainer.parameters.parameters {
            p.isTrainable = !frozen.contains(p.name)
            guard let step = record.adamSteps[p.name] else { continue }
            guard let m = dict["adam.exp_avg." + p.name], let v = dict["adam.exp_avg_sq." + p.name],
                  m.shape == p.shape, v.shape == p.shape
            else { throw bad("optimizer moments of '\(p.name)' are missing or misshapen") }
            trainer.optimizer.setState(p.name, m: m, v: v, step: step)
        }
        trainer.step = record.step
        trainer.schedule = record.schedule
        trainer.optimizer.settings = record.optimizer
        trainer.maxGradNorm = record.maxGradNorm
        trainer.rng = rng
        return dict.metadata
    }
}
