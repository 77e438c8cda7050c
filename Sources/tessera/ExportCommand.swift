import ArgumentParser
import Foundation
import TesseraBundle
import TesseraCore
import TesseraExport
import TesseraFormats
import TesseraModels
import TesseraRunFolder

extension BundleWeights: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a student bundle (.tsb) for tessera-edge: tile encoder, slide encoder, teacher-space head, everything to run them.",
        discussion: """
        --tile-encoder is a Hugging Face timm folder, a weights file, or a distillation run folder \
        (`tessera distill -o RUN`, formats/run-folder.md): then the student tile encoder (RUN/student), the student slide \
        encoder (RUN/slide_student, unless --slide-encoder is given), the teacher-space head \
        (RUN/teacher_head.safetensors, unless --no-teacher-head is given) and the provenance are \
        taken from the run (a run that trained a head but lacks its file is refused: resume it, or \
        pass --no-teacher-head): the teacher's SHA-256 as the teacher cache records it, the run's id (its \
        folder name and a digest of run.json) and its final metrics (metrics.jsonl).

        The bundle's manifest carries the tile encoder's configuration, the tile transform (Resize \
        256 bicubic, CenterCrop 224, ImageNet mean/std), the slide encoder's configuration and \
        pooling, the outputs and the provenance, with a SHA-256 for the manifest and every tensor \
        (formats/bundle.md). --weights sets how the matrix weights of the Linear layers are stored: \
        f32 (exact), f16, bf16 (the engine then computes those layers in bf16, about twice as fast \
        where the CPU has AVX512-BF16 or Arm BF16: docs/models.md §7), or int8 (symmetric, per \
        output channel, f32 scales); every other tensor stays f32. --compress zstd compresses the tensors where that saves at least an eighth. \
        The creation time is SOURCE_DATE_EPOCH when set (reproducible bundles), else now. The \
        bundle is written atomically; `tessera inspect OUT.tsb` shows and verifies it.

        A run's teacher-space head is the run's adaptor (a Linear from the student's width to the \
        teacher's) followed by the teacher's final LayerNorm, on the class token of the student's \
        last block output: with it the engine also writes teacher_tile_embeds [N, D_teacher], which \
        stand in for the teacher's tile embeddings. Its Linear weight is stored as --weights says, \
        its LayerNorm in f32. Such a bundle has format version 2 (tessera-edge builds that read only \
        version 1 refuse it); without a head the bundle is version 1.
        --slide-encoder may be a fine-tuned run (`tessera finetune -o RUN`: model.safetensors with \
        slide_encoder.* and classifier.0.*, config.json with a classifier section; or a folder with \
        upstream's checkpoint.pt and such a config.json): the bundle then carries the classifier too \
        (its feature layers, pooling, task setting and class names; its weights always f32) and the \
        engine writes logits and probabilities [classes] beside the embeddings. Such a bundle has \
        format version 3.

        Examples:
          tessera export --tile-encoder run1 --weights int8 -o student.tsb
          tessera export --tile-encoder run1 --weights bf16 -o student-bf16.tsb
          tessera export --tile-encoder run1 --no-teacher-head --weights f16 -o student-v1.tsb
          tessera export --tile-encoder fixtures/tile_student --slide-encoder slide_student/ --weights f16 --compress zstd -o s.tsb
          tessera export --tile-encoder fixtures/tile_teacher --slide-encoder fixtures/slide_encoder --weights f32 -o teacher.tsb
          tessera export --tile-encoder hf/prov-gigapath --slide-encoder finetune_run --weights int8 -o classifier.tsb
        """)

    @Option(name: .customLong("tile-encoder"), help: "A timm folder, a weights file, or a distillation run folder.")
    var tileEncoder: String

    @Option(name: .customLong("slide-encoder"), help: "A slide encoder (checkpoint or its folder, or a fine-tuned run: with its classifier); overrides a run's slide student.")
    var slideEncoder: String?

    @Option(help: "Architecture preset for a bare weights file (see `tessera embed --help`).")
    var arch: String?

    @Option(help: "Which embedding becomes slide_embed: mean (global_pool_embed) or cls (encoder_out_embed).")
    var pool: SlidePool = .mean

    @Flag(name: .customLong("no-teacher-head"), help: "Leave a run's teacher-space head (and teacher_tile_embeds) out.")
    var noTeacherHead = false

    @Option(help: "Storage of the matrix weights: f32, f16, bf16 or int8.")
    var weights: BundleWeights

    @Option(help: "Compress tensors where it pays: zstd.")
    var compress: String?

    @Option(name: .customLong("zstd-level"), parsing: .unconditional, help: "zstd level (1...19) with --compress zstd.")
    var zstdLevel: Int32 = 3

    @Option(name: .shortAndLong, help: "Output bundle (.tsb), written atomically.")
    var output: String

    func validate() throws {
        if let compress, compress != "zstd" { throw ValidationError("--compress must be zstd, got '\(compress)'") }
        guard (1...19).contains(zstdLevel) else { throw ValidationError("--zstd-level must be in 1...19, got \(zstdLevel)") }
    }

    func run() throws {
        let created = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }
            ?? Int64(Date().timeIntervalSince1970)
        let version = BundleExport.tesseraVersion
        let folder = RunFolder(path: tileEncoder)
        let run = folder.holdsStudent ? folder : nil
        let tilePath = run?.student ?? tileEncoder
        let slidePath = slideEncoder ?? run?.slideStudent
        let headPath = try run.flatMap { try RunTeacherHead.path(in: $0, omitted: noTeacherHead) }
        if let run, headPath == nil, !noTeacherHead {
            FileHandle.standardError.write(text: "note: \(run.teacherHead) is absent (a run.json version 1 run may predate the "
                                           + "teacher-space head): the bundle has no head and no teacher_tile_embeds\n")
        }
        // Before the models load: a bad -o fails at once. The run folder stands for every file in it
        // (its teacher cache included); a teacher cache elsewhere is read too (the teacher's SHA-256),
        // every file in it, so no new file may go there either.
        let cache = try run.map { [InputOutputOverlap.Input("--tile-encoder", $0.teacherCache(try $0.readOptions()))] } ?? []
        try OutputPath.check(output, option: "-o", inputs: [.init("--tile-encoder", tileEncoder), .init("--tile-encoder", tilePath)]
                                 + (slidePath.map { [.init(slideEncoder == nil ? "--tile-encoder" : "--slide-encoder", $0)] } ?? [])
                                 + (headPath.map { [.init("--tile-encoder", $0)] } ?? []) + cache, enclosing: cache)
        let provenance = try run.map { try BundleProvenance(run: $0, tesseraVersion: version, createdUnixSeconds: created) }
            ?? BundleProvenance(tesseraVersion: version, createdUnixSeconds: created)
        let export = BundleExport(tileEncoder: try VisionTransformer.load(path: tilePath, architecture: arch),
                                  slideEncoder: try slidePath.map { try SlideEncoder.loaded(path: $0) },
                                  pool: pool, teacherHead: try headPath.map { try RunTeacherHead(path: $0) }, provenance: provenance)
        let bundle = try export.write(to: output, weights: weights, zstdLevel: compress == nil ? nil : zstdLevel)
        for line in Self.summary(bundle, path: output) { FileHandle.standardError.write(text: line + "\n") }
    }

    /// What was written: models, precision, compression, size, provenance.
    static func summary(_ bundle: EncodedBundle, path: String) -> [String] {
        let m = bundle.manifest, t = m.tileEncoder
        let compressed = m.tensors.filter { $0.compression == .zstd }.count
        let dtypes = Set(m.tensors.map { $0.dtype.rawValue }).sorted().joined(separator: "+")
        var lines = ["tile encoder: \(t.architecture), D \(t.embedDim), depth \(t.depth), \(t.heads) heads"]
        if let slide = m.slideEncoder {
            let s = slide.config
            lines.append("slide encoder: D \(s.embedDim), depth \(s.depth), \(s.heads) heads, slide_embed = \(slide.pool == .mean ? "mean" : "cls")")
        }
        if let c = m.classifier?.head {
            lines.append("classifier: \(c.setting.rawValue), layers \(c.featLayers.map(String.init).joined(separator: ", ")) "
                         + "(\(c.pooling.rawValue)), \(c.classes.count) classes (\(MessageText.list(c.classes))) -> logits, probabilities")
        }
        if let h = m.teacherHead {
            lines.append("teacher head: Linear \(h.inFeatures) -> \(h.outFeatures)" + (h.layerNormEps == nil ? "" : " + LayerNorm")
                         + (h.input == .lastHiddenCLS ? " on the last hidden class token" : " on the tile embedding")
                         + " -> teacher_tile_embeds")
        }
        let p = m.provenance
        if !p.distillationRunID.isEmpty {
            lines.append("provenance: run \(p.distillationRunID), teacher sha256 "
                         + (p.teacherWeightsSHA256.isEmpty ? "unknown" : SHA256.hex(p.teacherWeightsSHA256))
                         + ", \(p.metrics.count) final metrics")
        }
        lines.append("wrote \(m.tensors.count) tensors (\(dtypes), \(compressed) zstd), \(bundle.byteCount) bytes, "
                     + "format version \(bundle.version) -> \(path)")
        return lines
    }
}
