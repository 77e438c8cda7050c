import Foundation
import TesseraModels

/// What a fine-tuning run was asked to do, recorded in RUN/run.json (formats/finetune-run.md):
/// a resumed run keeps these. Defaults are upstream's (`finetune/params.py`), the learning rate
/// being upstream's effective default (blr 4e-3 · accumulate 32 / 256).
public struct FinetuneOptions: Codable, Equatable, Sendable {
    /// Per-slide feature files (`<slide_id>.safetensors`, `.h5`, `.pt`).
    public var features: String
    public var labels: String
    public var taskConfig: String
    /// The pretrained slide encoder (a checkpoint or its folder).
    public var slideEncoder: String
    /// Upstream's `--feat_layer`: 0 = the encoder's input, i = layer i's output.
    public var featLayers: [Int]
    public var globalPool = false
    public var lr = 5e-4
    public var minLR = 1e-6
    public var weightDecay = 1e-5
    public var layerDecay = 0.95
    public var lrScheduler = FinetuneSchedule.Kind.cosine
    public var accumulate = 32
    public var epochs = 5
    public var warmupEpochs = 1
    /// Stop after this many optimizer steps (per fold).
    public var steps: Int?
    public var shuffle = true
    public var seed: UInt64 = 0
    /// Train the classifier only.
    public var freeze = false
    /// `classifier.0.weight` / `.bias` to start from (default: torch's Linear initialisation).
    public var initClassifier: String?
    /// Upstream's split files (`train_{k}.csv`, `val_{k}.csv`, `test_{k}.csv`).
    public var splitDir: String?
    /// Cross-validation folds drawn by Tessera when no split folder is given (nil: every
    /// labelled slide trains, nothing is evaluated).
    public var folds: Int?
    public var valRatio = 0.1
    /// Split by `pat_id` (upstream's `--pat_strat`) instead of `slide_id`.
    public var patientSplit = false
    public var checkpointEvery = 50

    public init(features: String, labels: String, taskConfig: String, slideEncoder: String, featLayers: [Int]) {
        self.features = features
        self.labels = labels
        self.taskConfig = taskConfig
        self.slideEncoder = slideEncoder
        self.featLayers = featLayers
    }

    /// Upstream's `--feat_layer` spelling: "11" or "5-11" (each an index, in that order).
    public static func featLayers(_ text: String) -> [Int]? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        return parts.map { $0! }
    }

    /// Why these options cannot run, if they cannot (paths are checked when read).
    public var problem: String? {
        if featLayers.isEmpty { return "--feat-layer names no layer" }
        if !(lr > 0 && lr.isFinite) { return "--lr must be a positive number, got \(lr)" }
        if !(minLR >= 0 && minLR.isFinite) { return "--min-lr must be a non-negative number, got \(minLR)" }
        if !(weightDecay >= 0 && weightDecay.isFinite) { return "--weight-decay must be a non-negative number, got \(weightDecay)" }
        if !(layerDecay > 0 && layerDecay <= 1) { return "--layer-decay must be in (0, 1], got \(layerDecay)" }
        if accumulate < 1 { return "--accumulate must be at least 1, got \(accumulate)" }
        if epochs < 1 { return "--epochs must be at least 1, got \(epochs)" }
        if warmupEpochs < 0 || (lrScheduler == .cosine && warmupEpochs >= epochs) {
            return "--warmup-epochs must be in 0..<\(epochs) (--epochs), got \(warmupEpochs)"
        }
        if let steps, steps < 1 { return "--steps must be at least 1, got \(steps)" }
        if let folds, folds < 2 { return "--folds must be at least 2, got \(folds)" }
        if folds != nil && splitDir != nil { return "--folds draws splits, --split-dir reads them: give one" }
        if !(valRatio >= 0 && valRatio < 1) { return "--val-ratio must be in [0, 1), got \(valRatio)" }
        if checkpointEvery < 1 { return "--checkpoint-every must be at least 1, got \(checkpointEvery)" }
        return nil
    }

    /// The learning-rate schedule these options give.
    public var schedule: FinetuneSchedule {
        FinetuneSchedule(kind: lrScheduler, lr: lr, minLR: minLR, warmupEpochs: Double(warmupEpochs), epochs: Double(epochs))
    }

    /// The options that decide the numbers of a run: a resume must not change them.
    public func sameTraining(as other: FinetuneOptions) -> Bool {
        var a = self, b = other
        (a.steps, b.steps) = (nil, nil)
        return a == b
    }
}
