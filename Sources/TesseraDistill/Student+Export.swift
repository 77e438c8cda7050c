import Foundation
import TesseraCore
import TesseraImage
import TesseraFormats
import TesseraModels

extension Student {
    /// Writes what a distillation gives its users, into the run folder `run`:
    /// - `student/`: the tile encoder as a Hugging Face timm folder (`config.json` +
    ///   `model.safetensors`, timm's key names: `timm.create_model(arch, **model_args)` loads it strictly);
    /// - `slide_student/`: the slide encoder (`slide_encoder.safetensors`, prov-gigapath's key names,
    ///   and `config.json`);
    /// - `adaptor.safetensors`: `weight` [D_t, D_s] and `bias` [D_t];
    /// - `teacher_head.safetensors`, when the teacher's final norm is given: the adaptor plus that
    ///   norm (`norm.weight`, `norm.bias`, eps in the metadata), which maps the student's last
    ///   hidden CLS token into the teacher's embedding space.
    public func export(to run: RunFolder, preprocessor: TilePreprocessor, teacherNorm: LayerNormLayer?) throws {
        let all = parameters.stateDict()
        for path in [run.student, run.slideStudent] { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        let c = tileEncoder.config
        var modelArgs: [(key: String, value: JSONValue)] = [
            ("img_size", .integer(c.imageSize)), ("patch_size", .integer(c.patchSize)), ("in_chans", .integer(c.inChans)),
            ("embed_dim", .integer(c.embedDim)), ("depth", .integer(c.depth)), ("num_heads", .integer(c.heads)),
            ("mlp_ratio", .real(Double(c.mlpHidden) / Double(c.embedDim) / (c.mlp == .swiGLUPacked ? 2 : 1))),
            ("num_classes", .integer(0)),
        ]
        if c.layerScale { modelArgs.append(("init_values", .real(1e-5))) }
        let timm = JSONValue.object([
            ("architecture", .string(c.architecture)), ("num_classes", .integer(0)), ("num_features", .integer(c.embedDim)),
            ("global_pool", .string("token")), ("model_args", .object(modelArgs)),
            ("pretrained_cfg", .object([
                ("mean", .array(preprocessor.mean.map { .number("\($0)") })),
                ("std", .array(preprocessor.std.map { .number("\($0)") })),
                ("input_size", .array([.integer(c.inChans), .integer(c.imageSize), .integer(c.imageSize)])),
                ("interpolation", .string("bicubic")), ("crop_pct", .real(Double(preprocessor.crop) / Double(preprocessor.resize))),
            ])),
        ])
        try SafeTensors.write(SafeTensors.canonicalOrder(all.scoped(Self.tilePrefix)), to: run.studentWeights)
        try AtomicOutput.write(timm.serialized(pretty: true) + "\n", to: run.studentConfig)

        try SafeTensors.write(SafeTensors.canonicalOrder(all.scoped(Self.slidePrefix)), to: run.slideStudentWeights)
        try slideEncoder.config.writeConfigJSON(to: run.slideStudentConfig)

        let adaptorWeights = all.scoped(Self.adaptorPrefix)
        try SafeTensors.write(SafeTensors.canonicalOrder(adaptorWeights), to: run.adaptor)
        if let teacherNorm {
            typealias Names = RunFolder.TeacherHead
            var head = StateDict()
            for (name, tensor) in adaptorWeights.entries { head.set(Names.adaptor + "." + name, tensor) }
            head.set(Names.norm + ".weight", teacherNorm.weight)
            head.set(Names.norm + ".bias", teacherNorm.bias)
            head.metadata = [Names.epsKey: "\(teacherNorm.eps)"]
            try SafeTensors.write(SafeTensors.canonicalOrder(head), to: run.teacherHead)
        }
    }
}
