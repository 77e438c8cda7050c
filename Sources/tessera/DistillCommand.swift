import ArgumentParser
import Foundation
import TesseraCore
import TesseraDistill
import TesseraFormats
import TesseraPipeline
import TesseraTrain

/// `tessera distill`: teacher (tile + slide encoder) → a small student, on the user's slides.
struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distil the teacher (tile encoder + slide encoder) into a small student on your slides.",
        discussion: """
        The recipe (docs/models.md §5): loss = beta * L_hidden + (1 - beta) * L_slide, where L_hidden \
        compares the student's last hidden states, through a Linear adaptor, with the teacher's, and \
        L_slide the student slide encoder's mean-pooled slide embedding with the teacher's. The slide \
        loss is computed by gradient caching: memory is bounded by --micro-batch, not by the slide.

        A slide is a slide folder of PNG tiles or a whole-slide file (any format OpenSlide reads), \
        whose tiles are those `tessera tile` writes in its default mode (exact, --level 0 --tile-size \
        256; run.json's tiling), read from the slide with no PNG written: the run equals the run on \
        the folder `tessera tile` writes.

        The teacher runs once per slide; its targets are cached in RUN/teacher_cache (resumed when \
        interrupted, refused when the teacher or the tiles change). RUN/metrics.jsonl gets a line per \
        step; RUN/checkpoint.safetensors is written every --checkpoint-every steps and at the end; \
        --resume RUN continues a run bit-identically, with the options its run.json records (only \
        --steps, to change its length, --threads, which must be the run's, --recompute-cache and --cache, \
        naming a cache outside RUN again, may be given with it); one command at a time writes a run \
        folder or fills a teacher cache (RUN/lock); formats/run-folder.md describes the folder. At the end \
        RUN holds student/ (a timm folder), \
        slide_student/ (slide_encoder.safetensors + config.json), adaptor.safetensors and \
        teacher_head.safetensors (the student's CLS into the teacher's embedding space; \
        `tessera export --tile-encoder RUN` bundles it, and tessera-edge then writes teacher_tile_embeds).

        More than one machine (docs/cluster.md): `--cache-only --shard K/N` fills shard K's slides of \
        RUN/teacher_cache (or --cache) and stops, so N job-array tasks fill it at once and the \
        training run finds it complete. Under `mpirun -np R` (Open MPI, loaded at run time) the \
        ranks share each step's --slides-per-step slides; gradients are summed in the slides' order, \
        so the run equals the one-process run bit for bit, whatever R; rank 0 writes RUN. A run \
        resumes with another R. Give each rank --threads (the run's thread count is each rank's).

        Examples:
          tessera distill --teacher hf/prov-gigapath --teacher-slide slide_encoder.pth --data slides/ \\
              --student vit_small_patch16_224 --slide-depth 2 --steps 2000 --micro-batch 16 -o run1
          tessera distill --resume run1
          tessera distill --teacher hf/prov-gigapath --teacher-slide slide_encoder.pth --data slides/ -o run1 \\
              --cache-only --shard $SLURM_ARRAY_TASK_ID/8
          tessera distill --teacher hf/prov-gigapath --teacher-slide slide_encoder.pth --data slides/ -o run2 \\
              --teacher-precision bf16 --precision bf16
          mpirun -np 4 tessera distill --teacher hf/prov-gigapath --teacher-slide slide_encoder.pth --data slides/ \\
              --slides-per-step 4 --threads 8 -o run1
        """)

    @Option(help: "Teacher tile encoder: a Hugging Face timm folder or a weights file.")
    var teacher: String?
    @Option(name: .customLong("teacher-slide"), help: "Teacher slide encoder: a checkpoint or its folder.")
    var teacherSlide: String?
    @Option(help: "Training slides: a folder of slides (slide folders of {x}x_{y}y.png tiles, whole-slide files), or a manifest (SLIDE [train|val] per line).")
    var data: String?
    @Option(name: .customLong("val-data"), help: "Held-out slides for validation (folder or manifest).")
    var valData: String?
    @Option(name: .customLong("init"), help: "Initial weights: student.*, adaptor.*, slide_student.* (default: a fresh student).")
    var initWeights: String?
    @Option(help: "Student tile encoder preset (default vit_small_patch16_224; with --init, this or --student-config is required).")
    var student: String?
    @Option(name: .customLong("student-config"), help: "Student tile encoder from a timm config.json instead of a preset.")
    var studentConfig: String?
    @Option(name: .customLong("student-weights"), help: "Starting weights for the student tile encoder (timm layout).")
    var studentWeights: String?
    @Option(name: .customLong("slide-depth"), parsing: .unconditional, help: "Layers of the student slide encoder (default \(DistillCommand.defaults.slideDepth)).")
    var slideDepth: Int?
    @Option(name: .customLong("slide-dim"), parsing: .unconditional, help: "Width of the student slide encoder (must be the teacher slide encoder's).")
    var slideDim: Int?
    @Option(name: .customLong("slide-heads"), parsing: .unconditional, help: "Heads of the student slide encoder (default: the teacher's).")
    var slideHeads: Int?
    @Option(parsing: .unconditional, help: "Weight of L_hidden; L_slide gets 1 - beta (default \(DistillCommand.defaults.beta)).")
    var beta: Double?
    @Option(parsing: .unconditional, help: "Peak learning rate of AdamW (default \(DistillCommand.defaults.lr)).")
    var lr: Double?
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "AdamW weight decay, matrices only, not pos_embed / cls_token (default \(DistillCommand.defaults.weightDecay)).")
    var weightDecay: Double?
    @Option(name: .customLong("warmup-steps"), parsing: .unconditional, help: "Linear warm-up steps before the cosine decay (default \(DistillCommand.defaults.warmupSteps)).")
    var warmupSteps: Int?
    @Option(parsing: .unconditional, help: "Optimizer steps; with --resume, the run's new length (default \(DistillCommand.defaults.steps)).")
    var steps: Int?
    @Option(name: .customLong("micro-batch"), parsing: .unconditional, help: "Tiles per micro-batch of the student tile encoder, which bounds memory (default \(DistillCommand.defaults.microBatch)).")
    var microBatch: Int?
    @Option(name: .customLong("slides-per-step"), parsing: .unconditional, help: "Slides whose gradients are accumulated per step (default \(DistillCommand.defaults.slidesPerStep)).")
    var slidesPerStep: Int?
    @Option(name: .customLong("tiles-per-step"), parsing: .unconditional, help: "Tiles sampled per slide and step (default: all).")
    var tilesPerStep: Int?
    @Option(parsing: .unconditional, help: "Clip the global gradient norm to this value.")
    var clip: Double?
    @Option(help: "Seed of the data order, the tile samples and a fresh student (default \(DistillCommand.defaults.seed)).")
    var seed: UInt64?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional, help: "Steps between checkpoints (default \(DistillCommand.defaults.checkpointEvery)).")
    var checkpointEvery: Int?
    @Option(name: .customLong("validate-every"), parsing: .unconditional, help: "Steps between validations (default \(DistillCommand.defaults.validateEvery): at the end only).")
    var validateEvery: Int?
    @Option(name: .customLong("memory-budget"), parsing: .unconditional, help: "MB the first pass may keep to spare the second (default 0: always recompute).")
    var memoryBudget: Int?
    @Option(name: .customLong("cache-precision"), help: "Teacher hidden states in the cache: f16 or f32 (default \(DistillCommand.defaults.cachePrecision)).")
    var cachePrecision: String?
    @Option(name: .customLong("teacher-precision"),
            help: "What the teacher computes its targets in: f32 (default, exact) or bf16 (about twice as fast with AVX512-BF16; recorded in the cache).")
    var teacherPrecision: String?
    @Option(help: "What the student's training products compute in: f32 (default, exact) or bf16 (mixed precision: f32 master weights and optimizer, about 0.6x the step time with AVX512-BF16).")
    var precision: String?
    @Option(help: "Teacher cache folder (default RUN/teacher_cache; with --resume, names a cache outside RUN again).")
    var cache: String?
    @Flag(name: .customLong("recompute-cache"), help: "Recompute cached slides that no longer match instead of stopping.")
    var recomputeCache = false
    @Option(name: .customLong("teacher-batch"), parsing: .unconditional, help: "Tiles per batch of the teacher (default \(DistillCommand.defaults.teacherBatch)).")
    var teacherBatch: Int?
    @Option(name: .shortAndLong, help: "Run folder (created).")
    var output: String?
    @Option(help: "Continue the run in this folder from its last checkpoint.")
    var resume: String?
    @Flag(name: .customLong("cache-only"), help: "Fill the teacher cache (RUN/teacher_cache or --cache) and stop: no run.json, no training.")
    var cacheOnly = false
    @OptionGroup var shard: ShardOption
    @OptionGroup var threads: ThreadsOption

    /// The options' defaults, which the help shows: a flag not given leaves run.json's value.
    static let defaults = DistillationOptions(teacher: "", teacherSlide: "", data: "")

    func validate() throws {
        if let shard = shard.shard, !cacheOnly {
            throw ValidationError("--shard \(shard) needs --cache-only (a training run shares its steps under mpirun)")
        }
        if resume != nil {
            guard !cacheOnly else { throw ValidationError("--cache-only fills a new run's teacher cache; it cannot be given with --resume") }
            let refused = newRunFlagsGiven
            guard refused.isEmpty else {
                throw ValidationError("\(refused.joined(separator: ", ")) cannot be given with --resume: a resumed run keeps the options "
                                      + "its run.json records (only --steps, --threads, --recompute-cache and --cache may be given)")
            }
            // --steps is checked as the run's own value will be (the rest is run.json's, checked on reading).
            var lengthOnly = Self.defaults.resolvingPaths()
            lengthOnly.steps = steps ?? lengthOnly.steps
            try Self.check(lengthOnly)
        } else {
            guard teacher != nil, teacherSlide != nil, data != nil, output != nil else {
                throw ValidationError("give --teacher, --teacher-slide, --data and -o (or --resume RUN)")
            }
            try Self.check(newRunOptions())
        }
    }

    /// Under mpirun, MPI ends only after a success: a rank that fails exits without it, and
    /// mpirun then stops the others (a rank waiting in MPI_Finalize would wait for ranks waiting
    /// in a collective for it).
    func run() throws {
        let group = try Self.processGroup()
        try run(group: group)
        group?.finish()
    }

    func run(group: MPIProcessGroup?) throws {
        if let resume {
            try RunFolderCheck.checkExisting(resume, option: "--resume")
        } else {
            try RunFolderCheck.checkNew(output!, option: "-o")
            let inputs = [("--teacher", teacher), ("--teacher-slide", teacherSlide), ("--data", data), ("--val-data", valData),
                          ("--init", initWeights), ("--student-config", studentConfig), ("--student-weights", studentWeights)]
                .compactMap { option, path in path.map { InputOutputOverlap.Input(option, $0) } }
            // Inside a data folder, the run folder would be listed as one more slide.
            try InputOutputOverlap.checkFolder(output!, option: "-o", inputs: inputs,
                                               enclosing: inputs.filter { ["--data", "--val-data"].contains($0.option) })
        }
        if cacheOnly { return try fillCache(group: group) }
        threads.apply()
        let run: DistillationRun
        if let resume {
            run = try resumeRun(resume, group: group)
        } else {
            do { run = try DistillationRun(options: newRunOptions(), folder: output!, group: group) } catch DistillationRun.Failure.unnamedStudent(let path) {
                throw CLIMessage("--init \(path): a weights file does not say the student's head count; name the student's "
                                 + "architecture with --student-config (a timm config.json) or --student (a preset)")
            }
        }
        var report = DistillReport(steps: run.options.steps, startStep: run.trainer.step)
        defer { report.finish() }
        try run.run { report.show($0) }
        report.finish()
        guard run.isLeader else { return }
        let folder = run.folder
        FileHandle.standardError.write(text: "student written to \(folder.student), \(folder.slideStudent), \(folder.adaptor), "
                                           + "\(folder.teacherHead)\n")
    }
}

extension DistillCommand {
    /// The ranks of this `mpirun` job, or nil when the command was not started by an MPI launcher.
    static func processGroup() throws -> MPIProcessGroup? {
        guard MPIProcessGroup.launched(environment: ProcessInfo.processInfo.environment) else { return nil }
        do { return try MPIProcessGroup() } catch {
            throw CLIMessage("started by an MPI launcher, but \(error)")
        }
    }

    /// `--cache-only`: the shard's slides of the teacher cache, and a summary line. Under mpirun
    /// the ranks are the shards (rank r of R fills shard r/R).
    func fillCache(group: MPIProcessGroup?) throws {
        let ranks = group.flatMap { $0.size > 1 ? $0 : nil }
        if ranks != nil, let shard = shard.shard {
            throw CLIMessage("--shard \(shard): under mpirun the ranks are the shards (rank r of R fills shard r/R); leave --shard out")
        }
        let shard = try ranks.map { try Shard(index: $0.rank, count: $0.size) } ?? self.shard.value()
        threads.apply()
        var report = DistillReport(steps: 0, startStep: 0)
        defer { report.finish() }
        let cached = try DistillationRun.fillCache(options: newRunOptions(), folder: output!, shard: shard) { report.show(.cache($0)) }
        report.finish()
        FileHandle.standardError.write(text: "teacher cache of shard \(shard): \(cached.count) slides with targets in "
                                           + "\(RunFolder(path: output!).teacherCache(newRunOptions()))\n")
    }
}
