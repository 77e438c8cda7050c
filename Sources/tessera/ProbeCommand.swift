import ArgumentParser
import Foundation
import TesseraCore
import TesseraFinetune
import TesseraIO

/// `tessera probe`: prov-gigapath's linear probe on per-slide embeddings, scored per fold with
/// the fine-tuning recipe's metrics.
struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Linear probe on slide embeddings: train a Linear layer per fold, score the test slides.",
        discussion: """
        FEATURES is a folder of per-slide safetensors files, <slide_id>.safetensors (slide_id with \
        ".svs" removed, as upstream names feature files; else the slide_id as the CSV writes it), as \
        `tessera embed --slide-encoder` writes them. --embedding picks the tensor: [D] as it is, \
        [rows, D] averaged over the rows (tile_embeds gives a mean-pooled tile-level probe). LABELS \
        is upstream's dataset CSV (slide_id, and label, or one 0/1 column per label of a \
        multi_label task); --task-config is upstream's task YAML (label_dict, setting, \
        add_metrics). Slides without a feature file are left out, as upstream does.

        Folds come from --splits (upstream's train_{k}.csv, val_{k}.csv, test_{k}.csv) or are made \
        here: --folds K stratified folds, --val-ratio of each training part for validation, drawn \
        from --seed, and written to OUT/splits. Training is upstream's recipe: SGD with \
        --momentum and --weight-decay, cosine-annealed from --lr to --min-lr over --iterations \
        batches of --batch-size (softmax cross-entropy; sigmoid BCE for multi_label). Writes \
        OUT/metrics.json (each fold's test and validation metrics: bacc, acc, macro/per-class \
        AUROC and AUPRC, qwk when asked; multi_label micro and macro) and OUT/probe_{k}.safetensors \
        (fc.weight, fc.bias).

        Example:
          tessera probe --features embeds/ --labels PANDA.csv --task-config panda.yaml -o probe/
          tessera probe --features embeds/ --labels PANDA.csv --task-config panda.yaml --splits dataset_csv/PANDA -o probe/ --z-score train
        """)

    @Option(help: "Folder of per-slide safetensors files (<slide_id>.safetensors).")
    var features: String

    @Option(help: "The tensor to probe: slide_embed, last_layer_embed, layer_{i}_embed, or tile_embeds (mean-pooled).")
    var embedding: String = "slide_embed"

    @Option(help: "Dataset CSV: slide_id and label (or one 0/1 column per label for multi_label); pat_id optional.")
    var labels: String

    @Option(name: .customLong("task-config"), help: "Task config YAML (name, setting, label_dict, add_metrics).")
    var taskConfig: String

    @Option(help: "Folder of train_{k}.csv, val_{k}.csv, test_{k}.csv (default: make --folds folds).")
    var splits: String?

    @Option(name: .customLong("split-key"), help: "The column splits are made by: slide_id or pat_id (upstream's --pat_strat).")
    var splitKey: String = FoldSplits.Key.slideID.rawValue

    @Option(parsing: .unconditional, help: "Folds to make when there is no --splits (at least 2).")
    var folds: Int = 5

    @Option(name: .customLong("val-ratio"), parsing: .unconditional, help: "Share of each made fold's training part kept for validation, in [0, 1).")
    var valRatio: Double = 0.1

    @Option(parsing: .unconditional, help: "Learning rate at the start of the cosine schedule.")
    var lr: Double = 0.01

    @Option(name: .customLong("min-lr"), parsing: .unconditional, help: "Learning rate at the end of the cosine schedule.")
    var minLR: Double = 0

    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Slides per training batch (at most the training part).")
    var batchSize: Int = 512

    @Option(parsing: .unconditional, help: "Training iterations (batches) per fold.")
    var iterations: Int = 12500

    @Option(parsing: .unconditional, help: "SGD momentum.")
    var momentum: Double = 0

    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "SGD weight decay.")
    var weightDecay: Double = 0

    @Option(parsing: .unconditional, help: "Seed of the initial weights, the batches and the made folds.")
    var seed: UInt64 = 42

    @Option(name: .customLong("z-score"), help: "Normalise embeddings: none, train (per feature, training statistics) or slide (each embedding by itself, upstream's --z_score).")
    var zScore: String = LinearProbe.Normalization.none.rawValue

    @Option(name: .shortAndLong, help: "Output folder (created if missing): metrics.json, probe_{k}.safetensors, splits/.")
    var output: String

    @OptionGroup var threads: ThreadsOption

    var options: LinearProbe.Options {
        var o = LinearProbe.Options()
        o.learningRate = lr
        o.minLearningRate = minLR
        o.batchSize = batchSize
        o.iterations = iterations
        o.momentum = momentum
        o.weightDecay = weightDecay
        o.seed = seed
        o.normalization = LinearProbe.Normalization(rawValue: zScore) ?? .none
        return o
    }

    func validate() throws {
        guard FoldSplits.Key(rawValue: splitKey) != nil else { throw ValidationError("--split-key must be slide_id or pat_id, got \(splitKey)") }
        guard LinearProbe.Normalization(rawValue: zScore) != nil else {
            throw ValidationError("--z-score must be one of \(LinearProbe.Normalization.allCases.map(\.rawValue).joined(separator: ", ")), got \(zScore)")
        }
        if splits == nil {
            guard folds >= 2 else { throw ValidationError("--folds must be at least 2, got \(folds)") }
            guard valRatio >= 0 && valRatio < 1 else { throw ValidationError("--val-ratio must be in [0, 1), got \(valRatio)") }
        }
        // The library's check of the training options (learning rates, batch size, iterations, momentum, decay).
        if let problem = options.problem { throw ValidationError(problem) }
    }

    func run() throws {
        // Output safety before any work: OUT is not, and does not hold, an input, and is not inside FEATURES
        // (a probe_0.safetensors there would read as a slide's features).
        var inputs: [InputOutputOverlap.Input] = [.init("--features", features), .init("--labels", labels), .init("--task-config", taskConfig)]
        if let splits { inputs.append(.init("--splits", splits)) }
        try InputOutputOverlap.checkFolder(output, option: "-o", inputs: inputs, enclosing: [.init("--features", features)])
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for name in [ProbeRun.metricsName, ProbeRun.weightsName(fold: 0)] {
            try OutputPath.check(output + "/" + name, option: "-o", inputs: inputs)
        }
        threads.apply()

        let task = try TaskConfig.load(path: taskConfig)
        let table = try SlideLabels.load(path: labels, task: task)
        let key = FoldSplits.Key(rawValue: splitKey)!
        let folds: FoldSplits
        if let splits {
            folds = try FoldSplits.read(folder: splits, key: key)
        } else {
            folds = try FoldSplits.crossValidation(labels: table, key: key, folds: self.folds, valRatio: valRatio, seed: seed)
            let folder = output + "/splits"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try folds.write(to: folder, labels: table)
        }
        for k in folds.folds.indices {
            let unmatched = try folds.rows(fold: k, labels: table).unmatched
            if !unmatched.isEmpty {
                FileHandle.standardError.write(text: "warning: fold \(k): \(unmatched.count) \(key.rawValue) values of the splits are not in "
                                               + "\(labels) (e.g. \(unmatched[0])); left out\n")
            }
        }
        let started = MonotonicClock.seconds
        let data = try SlideEmbeddingTable.load(folder: features, labels: table, embedding: embedding)
        if !data.missing.isEmpty {
            FileHandle.standardError.write(text: "warning: \(data.missing.count) of \(table.count) slides have no feature file in \(features) "
                                           + "(e.g. \(data.missing[0])); left out, as upstream does\n")
        }
        FileHandle.standardError.write(text: "\(data.rows.count) slides, \(embedding) [\(data.dim)], \(task.classCount) classes "
                                       + "(\(task.setting.rawValue)), \(folds.folds.count) folds; read in "
                                       + String(format: "%.2f s\n", MonotonicClock.seconds - started))
        var line: ProgressLine? = nil
        var currentFold = -1
        let run = try ProbeRun.run(task: task, labels: table, features: data, embedding: embedding, splits: folds, options: options) { fold, iteration, _ in
            if fold != currentFold {
                line?.finish()
                line = ProgressLine("fold \(fold)", total: iterations, unit: "iterations")
                currentFold = fold
            }
            line?.update(iteration)
        }
        line?.finish()
        try run.write(to: output)
        for fold in run.folds {
            let shown = fold.testMetrics.values.prefix(4).map { "\($0.name) \(String(format: "%.4f", $0.value))" }.joined(separator: ", ")
            FileHandle.standardError.write(text: "fold \(fold.index): train \(fold.train), val \(fold.val), test \(fold.test): \(shown)\n")
        }
        FileHandle.standardError.write(text: String(format: "wrote %@ in %.2f s\n", output + "/" + ProbeRun.metricsName, MonotonicClock.seconds - started))
    }
}
