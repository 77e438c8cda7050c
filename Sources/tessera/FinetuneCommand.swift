import ArgumentParser
import Foundation
import TesseraFinetune
import TesseraFormats
import TesseraRunFolder

extension FinetuneSchedule.Kind: ExpressibleByArgument {}

/// `tessera finetune`: prov-gigapath's slide-level fine-tuning on per-slide feature files.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune the slide encoder and a classifier on labelled slides (prov-gigapath's finetune/ recipe).",
        discussion: """
        The model is upstream's ClassificationHead: the slide encoder's embeddings of the --feat-layer \
        layers (0 = the encoder's input, i = layer i's output), each the class token or, with \
        --global-pool, the mean of the tile tokens, concatenated and fed to a Linear over the task's \
        classes. The loss is cross-entropy (multi_class, binary) or BCE with logits (multi_label), \
        per slide; --accumulate slides make a step of AdamW with upstream's layer-wise lr decay and \
        weight-decay groups, warm-up then a half cosine per epoch (docs/models.md §6 lists upstream's \
        quirks, which are kept).

        Inputs: --features DIR holds one file per slide, <slide_id>.safetensors (what `tessera embed` \
        writes: tile_embeds, coords), or upstream's .h5 (features, coords) or .pt; --labels is upstream's \
        dataset CSV (slide_id and label, or one 0/1 column per label); --task-config its YAML (name, \
        setting, label_dict, add_metrics, max_tiles). Without --folds or --split-dir every labelled \
        slide trains and nothing is evaluated; with them each fold trains from the pretrained encoder \
        and is scored on its validation part after every epoch and on its test part at the end.

        RUN gets run.json (the options), metrics.jsonl (a line per step: loss, lr, grad_norm; per \
        evaluation: val_/test_ loss and metrics), checkpoint.safetensors, and at the end \
        model.safetensors (upstream's parameter names) with config.json: a slide-encoder folder for \
        `tessera export --slide-encoder RUN` (per fold under RUN/fold_K with folds), and summary.json. \
        --resume RUN continues from the last checkpoint bit for bit (only --steps and --threads may be \
        given with it).

        Examples:
          tessera finetune --features feats/ --labels panda.csv --task-config panda.yaml \\
              --slide-encoder slide_encoder.pth --feat-layer 11 --lr 2e-3 --weight-decay 0.05 \\
              --layer-decay 0.95 --accumulate 32 --epochs 5 --folds 5 -o run1
          tessera finetune --resume run1
        """)

    @Option(help: "Folder of per-slide feature files (<slide_id>.safetensors, .h5 or .pt).")
    var features: String?
    @Option(help: "Labels CSV (slide_id, and label or one column per label).")
    var labels: String?
    @Option(name: .customLong("task-config"), help: "Task config YAML (name, setting, label_dict, add_metrics).")
    var taskConfig: String?
    @Option(name: .customLong("slide-encoder"), help: "Pretrained slide encoder: a checkpoint or its folder.")
    var slideEncoder: String?
    @Option(name: .customLong("feat-layer"), help: "Layers fed to the classifier, e.g. 11 or 5-11 (0 = the encoder's input).")
    var featLayer: String?
    @Flag(name: .customLong("global-pool"), help: "Mean of the tile tokens instead of the class token.")
    var globalPool = false
    @Option(parsing: .unconditional, help: "Peak learning rate (default \(defaults.lr)).")
    var lr: Double?
    @Option(name: .customLong("min-lr"), parsing: .unconditional, help: "Learning rate at the end of the cosine (default \(defaults.minLR)).")
    var minLR: Double?
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "AdamW weight decay of tensors of rank >= 2 (default \(defaults.weightDecay)).")
    var weightDecay: Double?
    @Option(name: .customLong("layer-decay"), parsing: .unconditional, help: "Layer-wise lr decay (default \(defaults.layerDecay)).")
    var layerDecay: Double?
    @Option(name: .customLong("lr-scheduler"), help: "cosine, or fixed (upstream: no schedule and no layer decay) (default cosine).")
    var lrScheduler: FinetuneSchedule.Kind?
    @Option(parsing: .unconditional, help: "Slides per optimizer step (upstream's --gc) (default \(defaults.accumulate)).")
    var accumulate: Int?
    @Option(parsing: .unconditional, help: "Epochs (default \(defaults.epochs)).")
    var epochs: Int?
    @Option(name: .customLong("warmup-epochs"), parsing: .unconditional, help: "Epochs of linear warm-up (default \(defaults.warmupEpochs)).")
    var warmupEpochs: Int?
    @Option(parsing: .unconditional, help: "Stop each fold after this many optimizer steps; with --resume, the run's new length.")
    var steps: Int?
    @Flag(name: .customLong("no-shuffle"), help: "Take the training slides in the CSV's order (default: a seeded shuffle per epoch).")
    var noShuffle = false
    @Option(help: "Seed of the slide order, the splits and a fresh classifier (default \(defaults.seed)).")
    var seed: UInt64?
    @Flag(help: "Freeze the slide encoder: train the classifier only.")
    var freeze = false
    @Option(name: .customLong("init"), help: "Initial classifier: a safetensors file with classifier.0.weight and classifier.0.bias.")
    var initClassifier: String?
    @Option(name: .customLong("split-dir"), help: "Upstream's split files (train_K.csv, val_K.csv, test_K.csv).")
    var splitDir: String?
    @Option(parsing: .unconditional, help: "Cross-validation folds drawn by Tessera (stratified by class, seeded).")
    var folds: Int?
    @Option(name: .customLong("val-ratio"), parsing: .unconditional, help: "Share of each fold's training slides held out for validation (default \(defaults.valRatio)).")
    var valRatio: Double?
    @Flag(name: .customLong("patient-split"), help: "Split by the CSV's pat_id column instead of slide_id.")
    var patientSplit = false
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Steps between checkpoints (default \(defaults.checkpointEvery)).")
    var checkpointEvery: Int?
    @Option(name: .shortAndLong, help: "Run folder (created).")
    var output: String?
    @Option(help: "Continue the run in this folder from its last checkpoint.")
    var resume: String?
    @OptionGroup var threads: ThreadsOption

    static let defaults = FinetuneOptions(features: "", labels: "", taskConfig: "", slideEncoder: "", featLayers: [])

    func validate() throws {
        if resume != nil {
            let given: [(String, Bool)] = [("--features", features != nil), ("--labels", labels != nil), ("--task-config", taskConfig != nil),
                                           ("--slide-encoder", slideEncoder != nil), ("--feat-layer", featLayer != nil),
                                           ("--global-pool", globalPool), ("--lr", lr != nil), ("--min-lr", minLR != nil),
                                           ("--weight-decay", weightDecay != nil), ("--layer-decay", layerDecay != nil),
                                           ("--lr-scheduler", lrScheduler != nil), ("--accumulate", accumulate != nil),
                                           ("--epochs", epochs != nil), ("--warmup-epochs", warmupEpochs != nil),
                                           ("--no-shuffle", noShuffle), ("--seed", seed != nil), ("--freeze", freeze),
                                           ("--init", initClassifier != nil), ("--split-dir", splitDir != nil), ("--folds", folds != nil),
                                           ("--val-ratio", valRatio != nil), ("--patient-split", patientSplit),
                                           ("--checkpoint-every", checkpointEvery != nil), ("-o", output != nil)]
            let refused = given.filter(\.1).map(\.0)
            guard refused.isEmpty else {
                throw ValidationError("\(refused.joined(separator: ", ")) cannot be given with --resume: a resumed run keeps the "
                                      + "options its run.json records (only --steps and --threads may be given)")
            }
        } else {
            guard features != nil, labels != nil, taskConfig != nil, slideEncoder != nil, featLayer != nil, output != nil else {
                throw ValidationError("give --features, --labels, --task-config, --slide-encoder, --feat-layer and -o (or --resume RUN)")
            }
            if let problem = try newRunOptions().problem { throw ValidationError(problem) }
        }
    }

    func newRunOptions() throws -> FinetuneOptions {
        guard let layers = FinetuneOptions.featLayers(featLayer!) else {
            throw ValidationError("--feat-layer must be layer indices joined by '-', e.g. 11 or 5-11; got '\(featLayer!)'")
        }
        // Absolute paths: a resume from another folder reads the same files.
        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        var o = FinetuneOptions(features: absolute(features!), labels: absolute(labels!), taskConfig: absolute(taskConfig!),
                                slideEncoder: absolute(slideEncoder!), featLayers: layers)
        o.globalPool = globalPool
        o.lr = lr ?? o.lr
        o.minLR = minLR ?? o.minLR
        o.weightDecay = weightDecay ?? o.weightDecay
        o.layerDecay = layerDecay ?? o.layerDecay
        o.lrScheduler = lrScheduler ?? o.lrScheduler
        o.accumulate = accumulate ?? o.accumulate
        o.epochs = epochs ?? o.epochs
        o.warmupEpochs = warmupEpochs ?? o.warmupEpochs
        o.steps = steps
        o.shuffle = !noShuffle
        o.seed = seed ?? o.seed
        o.freeze = freeze
        o.initClassifier = initClassifier.map(absolute)
        o.splitDir = splitDir.map(absolute)
        o.folds = folds
        o.valRatio = valRatio ?? o.valRatio
        o.patientSplit = patientSplit
        o.checkpointEvery = checkpointEvery ?? o.checkpointEvery
        return o
    }

    func run() throws {
        let folder: String, options: FinetuneOptions
        if let resume {
            try RunFolderCheck.checkExisting(resume, option: "--resume")
            folder = resume
            var recorded = try FinetuneRunFolder.readOptions(in: resume)
            if let steps { recorded.steps = steps }
            if let problem = recorded.problem { throw CLIMessage("--steps: \(problem)") }
            options = recorded
        } else {
            folder = output!
            options = try newRunOptions()
            try RunFolderCheck.checkNew(folder, option: "-o")
            let inputs = [("--features", options.features), ("--labels", options.labels), ("--task-config", options.taskConfig),
                          ("--slide-encoder", options.slideEncoder), ("--init", options.initClassifier), ("--split-dir", options.splitDir)]
                .compactMap { option, path in path.map { InputOutputOverlap.Input(option, $0) } }
            try InputOutputOverlap.checkFolder(folder, option: "-o", inputs: inputs,
                                               enclosing: inputs.filter { $0.option == "--features" })
        }
        threads.apply()
        let run = try FinetuneRun(options: options, folder: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let lock = try RunFolderLock(folder: folder, what: "the fine-tuning run")
        defer { withExtendedLifetime(lock) {} }
        for id in run.missing { FileHandle.standardError.write(text: "warning: no feature file for slide \(id) in \(options.features)\n") }
        var report = FinetuneReport()
        let results = try run.run { report.show($0) }
        report.finish()
        for result in results {
            let name = result.fold.map { "fold \($0)" } ?? "run"
            let test = result.test.map { String(format: "%@ %.4f", $0.name, $0.value) }.joined(separator: ", ")
            print("\(name): \(result.steps) steps" + (test.isEmpty ? "" : "; test \(test)"))
        }
        FileHandle.standardError.write(text: "fine-tuned model written to \(folder)\n")
    }
}
