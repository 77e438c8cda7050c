import Foundation
import TesseraCore
import TesseraFormats
import TesseraModels
import TesseraRunFolder
import TesseraTrain

/// A slide-level fine-tuning run in its folder (formats/finetune-run.md): upstream's recipe
/// (`finetune/training.py`, docs/models.md §6) on per-slide feature files, one fold after another.
///
/// Per fold, slides run one at a time (a batch of one, as upstream trains): at the start of each
/// accumulation window the learning rate is set from the fractional epoch; each slide's loss,
/// divided by `accumulate`, is backpropagated into the gradient buffers; after every
/// `accumulate` slides of an epoch AdamW steps and the buffers are zeroed. An epoch's last
/// slides that fill no window keep their gradients for the next epoch's first step (upstream's
/// quirk, kept). A checkpoint is written every `checkpointEvery` steps and at the end, always
/// at a step's end, so a resumed run replays from there bit for bit.
public final class FinetuneRun {
    public let options: FinetuneOptions
    public let folder: String
    public let task: TaskConfig
    public let labels: SlideLabels
    public let encoderConfig: SlideEncoder.Config
    private let encoderWeights: StateDict
    private let classifierWeights: StateDict?
    private let splits: FoldSplits?
    /// The labelled slides whose feature file exists, as rows of `labels`, and where the file is.
    private let featureFiles: [Int: String]
    /// Labelled slides without a feature file (upstream prints "Missing" and leaves them out).
    public let missing: [String]

    public var head: SlideClassifier.Head {
        SlideClassifier.Head(featLayers: options.featLayers, pooling: options.globalPool ? .mean : .cls,
                             setting: task.setting, classes: task.classNames)
    }

    /// What `run` reports after each optimizer step and evaluation.
    public struct Progress: Sendable {
        public let fold: Int?, folds: Int
        public let step: Int, steps: Int
        public let epoch: Int
        public let loss: Double?
        public let lr: Double
    }

    /// One fold's outcome: its validation metrics after the last epoch and its test metrics.
    public struct FoldResult: Sendable {
        public let fold: Int?
        public let steps: Int
        public let validation: [(name: String, value: Double)]
        public let test: [(name: String, value: Double)]
    }

    /// Reads the task, the labels, the slide encoder, the optional classifier and the splits
    /// named by `options`; checks every label's feature file is found; writes nothing.
    public init(options: FinetuneOptions, folder: String) throws {
        if let problem = options.problem { throw FinetuneError.badArgument(problem) }
        self.options = options
        self.folder = folder
        task = try TaskConfig.load(path: options.taskConfig)
        labels = try SlideLabels.load(path: options.labels, task: task)
        let loaded = try SlideEncoder.loaded(path: options.slideEncoder)
        encoderConfig = loaded.model.config
        encoderWeights = loaded.weights
        classifierWeights = try options.initClassifier.map { try SafeTensors.read(path: $0) }
        if let problem = SlideClassifier.Head(featLayers: options.featLayers, pooling: .cls, setting: task.setting,
                                              classes: task.classNames).problem(depth: encoderConfig.depth) {
            throw FinetuneError.badArgument("--feat-layer: \(problem)")
        }
        var files: [Int: String] = [:], missing: [String] = []
        for (row, id) in labels.slideIDs.enumerated() {
            do { files[row] = try SlideFeatures.file(in: options.features, slideID: id) } catch {
                missing.append(id)
            }
        }
        guard !files.isEmpty else {
            throw FinetuneError.badInput(file: options.features, reason: "holds no feature file of the \(labels.count) slides in \(options.labels)")
        }
        featureFiles = files
        self.missing = missing
        let key: FoldSplits.Key = options.patientSplit ? .patientID : .slideID
        if let dir = options.splitDir {
            splits = try FoldSplits.read(folder: dir, key: key)
        } else if let folds = options.folds {
            splits = try FoldSplits.crossValidation(labels: labels, key: key, folds: folds, valRatio: options.valRatio, seed: options.seed)
        } else {
            splits = nil
        }
    }

    /// The folder fold `k` writes (the run folder itself without splits).
    public func foldFolder(_ k: Int?) -> String { k.map { folder + "/fold_\($0)" } ?? folder }

    /// Trains and evaluates every fold (resuming each from its checkpoint when there is one).
    public func run(progress: (Progress) -> Void) throws -> [FoldResult] {
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FinetuneRunFolder.writeOptions(options, to: folder)
        if let splits, options.splitDir == nil {
            let dir = folder + "/" + FinetuneRunFolder.splits
            try fileManager.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try splits.write(to: dir, labels: labels)
        }
        var results: [FoldResult] = []
        let folds = splits?.folds.count ?? 1
        for k in 0..<folds {
            let fold = splits == nil ? nil : k
            let rows: (train: [Int], val: [Int], test: [Int])
            if let splits {
                let parts = try splits.rows(fold: k, labels: labels)
                rows = (parts.train.filter { featureFiles[$0] != nil }, parts.val.filter { featureFiles[$0] != nil },
                        parts.test.filter { featureFiles[$0] != nil })
            } else {
                rows = (labels.slideIDs.indices.filter { featureFiles[$0] != nil }, [], [])
            }
            guard !rows.train.isEmpty else { throw FinetuneError.badArgument("fold \(k) has no training slide with a feature file") }
            results.append(try train(fold: fold, folds: folds, rows: rows, progress: progress))
        }
        try FinetuneRunFolder.writeSummary(results, to: folder)
        return results
    }

    private func train(fold: Int?, folds: Int, rows: (train: [Int], val: [Int], test: [Int]),
                       progress: (Progress) -> Void) throws -> FoldResult {
        let out = foldFolder(fold)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let model = try ClassificationHead.fresh(encoderWeights: encoderWeights, encoderConfig: encoderConfig, head: head,
                                                 classifierWeights: classifierWeights, seed: options.seed &+ UInt64(fold ?? 0),
                                                 freezeEncoder: options.freeze)
        LayerDecay.apply(to: model.parameters, depth: encoderConfig.depth,
                         layerDecay: options.lrScheduler == .fixed ? nil : options.layerDecay)
        let trainer = Trainer(parameters: model.parameters, optimizer: AdamW(settings: .init(weightDecay: options.weightDecay)),
                              schedule: .constant(options.lr), seed: options.seed)
        var position = FinetuneRunFolder.Position(epoch: 0, batch: 0)
        let checkpointPath = out + "/" + FinetuneRunFolder.checkpoint
        if FileManager.default.fileExists(atPath: checkpointPath) {
            position = try FinetuneRunFolder.restore(trainer, from: checkpointPath, options: options)
        }
        let metrics = try MetricsLog(path: out + "/" + FinetuneRunFolder.metrics, keepThrough: trainer.step)
        let perEpoch = rows.train.count / options.accumulate
        let totalSteps = min(options.steps ?? Int.max, perEpoch * options.epochs)
        var validation: [(name: String, value: Double)] = []
        var stoppedByStepCount = false
        // Kept from slide to slide while the tile count stays: a new plan is gigabytes of fresh pages to fault in and zero.
        var activations: SlideEncoder.TrainingActivations?
        training: for epoch in position.epoch..<options.epochs {
            let order = epochOrder(rows.train, epoch: epoch)
            var windowLoss = 0.0, lr = options.lr
            for b in (epoch == position.epoch ? position.batch : 0)..<order.count {
                if trainer.step >= totalSteps {
                    stoppedByStepCount = true
                    break training
                }
                if b % options.accumulate == 0 { lr = options.schedule.lr(atEpoch: Double(epoch) + Double(b) / Double(order.count)) }
                let slide = try features(row: order[b], epoch: epoch)
                let tiles = slide.tileEmbeds.shape[0]
                if activations?.tiles != tiles {  // a plan for another size: freed before the next is allocated
                    activations = nil
                    activations = SlideEncoder.TrainingActivations(config: model.slideEncoder.config, tiles: tiles)
                }
                let (loss, _) = try model.accumulate(tileEmbeds: slide.tileEmbeds, cells: slide.cells, target: labels.targets[order[b]],
                                                     scale: 1 / Float(options.accumulate), activations: activations!)
                guard loss.isFinite else {
                    throw FinetuneError.nonFinite(slide: labels.slideIDs[order[b]], epoch: epoch, step: trainer.step, loss: Double(loss))
                }
                windowLoss += Double(loss)
                guard (b + 1) % options.accumulate == 0 else { continue }
                let norm = trainer.step(accumulatedAt: lr)
                model.parameters.zeroGradients()
                let mean = windowLoss / Double(options.accumulate)
                windowLoss = 0
                try metrics.append([("step", .integer(trainer.step)), ("epoch", .integer(epoch)), ("loss", .real(mean)),
                                    ("lr", .real(lr)), ("grad_norm", .real(Double(norm)))])
                progress(Progress(fold: fold, folds: folds, step: trainer.step, steps: totalSteps, epoch: epoch, loss: mean, lr: lr))
                if trainer.step % options.checkpointEvery == 0 || trainer.step == totalSteps {
                    try FinetuneRunFolder.save(trainer, to: checkpointPath, position: .init(epoch: epoch, batch: b + 1), options: options)
                }
            }
            if !rows.val.isEmpty {
                let evaluation = try evaluate(model, rows: rows.val)
                validation = evaluation.metrics
                try metrics.append([("step", .integer(trainer.step)), ("epoch", .integer(epoch))] + evaluation.members(prefix: "val_"))
            }
        }
        // Stopped by --steps, the last step's checkpoint holds the position a longer run resumes from.
        if !stoppedByStepCount {
            try FinetuneRunFolder.save(trainer, to: checkpointPath, position: .init(epoch: options.epochs, batch: 0), options: options)
        }
        try FinetuneRunFolder.writeModel(model, config: encoderConfig, to: out)
        var test: [(name: String, value: Double)] = []
        if !rows.test.isEmpty {
            let evaluation = try evaluate(model, rows: rows.test)
            test = evaluation.metrics
            try metrics.append([("step", .integer(trainer.step))] + evaluation.members(prefix: "test_"))
        }
        return FoldResult(fold: fold, steps: trainer.step, validation: validation, test: test)
    }

    /// The training rows of `epoch` in the order they run: the labels' order with --no-shuffle,
    /// else a permutation drawn from (seed, epoch), so a resumed run redraws the same one.
    private func epochOrder(_ rows: [Int], epoch: Int) -> [Int] {
        guard options.shuffle else { return rows }
        var rng = RandomGenerator(seed: options.seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
        return rng.shuffled(rows)
    }

    /// One slide's tiles as the model reads them: at most the task's `max_tiles` (upstream's
    /// default 1000), in the file's order or, with `shuffle_tiles`, a permutation drawn from
    /// (seed, slide, epoch); and their grid cells.
    func features(row: Int, epoch: Int) throws -> (tileEmbeds: Tensor, cells: [SlideGrid.Cell]) {
        let path = featureFiles[row]!
        let slide = try SlideFeatures.load(path: path)
        var tiles = Array(0..<slide.tileEmbeds.shape[0])
        if task.shuffleTiles ?? false {
            var rng = RandomGenerator(seed: options.seed ^ UInt64(row) &* 0xD1B5_4A32_D192_ED03 &+ UInt64(epoch))
            tiles = rng.shuffled(tiles)
        }
        tiles = Array(tiles.prefix(task.maxTiles ?? 1000))
        let all = slide.tileEmbeds, width = all.shape[1]
        let embeds = tiles == Array(0..<all.shape[0]) ? all : all.withFloats { f in
            Tensor(shape: [tiles.count, width], floats: tiles.flatMap { f[$0 * width..<($0 + 1) * width] })
        }
        let points = tiles.map { (x: slide.coords.scalar(at: 2 * $0), y: slide.coords.scalar(at: 2 * $0 + 1)) }
        let grid = SlideGrid(size: encoderConfig.gridSize, tileSize: encoderConfig.tileSize)
        do { return (embeds, try grid.place(points: points).cells) } catch {
            throw FinetuneError.badInput(file: path, reason: "\(error)")
        }
    }
}
