import CProtobufC
import CTesseraBundle
import TesseraCore
import TesseraModels

/// The manifest in protobuf encoding, through protobuf-c (canonical form:
/// fields in number order, proto3 defaults left out, repeated scalars packed).
enum ManifestEncoder {
    static func encode(_ manifest: BundleManifest) -> [UInt8] {
        let c = CAllocations()
        return withExtendedLifetime(c) {
            var m = Tessera__Bundle__Manifest()
            tessera__bundle__manifest__init(&m)
            m.tile_encoder = c.value(tileEncoder(manifest.tileEncoder, c))
            m.tile_transform = c.value(tileTransform(manifest.tileTransform, c))
            m.slide_encoder = manifest.slideEncoder.map { c.value(slideEncoder($0, c)) }
            m.teacher_head = manifest.teacherHead.map { c.value(teacherHead($0, version: manifest.formatVersion)) }
            m.classifier = manifest.classifier.map { c.value(classifier($0, c)) }
            m.n_outputs = manifest.outputs.count
            m.outputs = c.array(manifest.outputs.map { Optional(c.string($0.rawValue)) })
            m.provenance = c.value(provenance(manifest.provenance, c))
            m.n_tensors = manifest.tensors.count
            m.tensors = c.array(manifest.tensors.map { Optional(c.value(tensor($0, c))) })
            var bytes = [UInt8](repeating: 0, count: tessera__bundle__manifest__get_packed_size(&m))
            bytes.withUnsafeMutableBufferPointer { _ = tessera__bundle__manifest__pack(&m, $0.baseAddress) }
            return bytes
        }
    }

    private static func tileEncoder(_ tile: VisionTransformer.Config, _ c: CAllocations) -> Tessera__Bundle__TileEncoder {
        var t = Tessera__Bundle__TileEncoder()
        tessera__bundle__tile_encoder__init(&t)
        t.architecture = c.string(tile.architecture)
        t.image_size = UInt32(tile.imageSize)
        t.patch_size = UInt32(tile.patchSize)
        t.in_chans = UInt32(tile.inChans)
        t.embed_dim = UInt32(tile.embedDim)
        t.depth = UInt32(tile.depth)
        t.num_heads = UInt32(tile.heads)
        t.mlp_hidden = UInt32(tile.mlpHidden)
        t.mlp = Tessera__Bundle__MlpKind(rawValue: tile.mlp.manifestNumber)
        t.layer_scale = tile.layerScale ? 1 : 0
        t.layer_norm_eps = tile.layerNormEps
        return t
    }

    private static func tileTransform(_ transform: BundleTileTransform, _ c: CAllocations) -> Tessera__Bundle__TileTransform {
        var t = Tessera__Bundle__TileTransform()
        tessera__bundle__tile_transform__init(&t)
        t.resize = UInt32(transform.resize)
        t.interpolation = Tessera__Bundle__Interpolation(rawValue: transform.interpolation.rawValue)
        t.crop = UInt32(transform.crop)
        t.n_mean = transform.mean.count
        t.mean = c.array(transform.mean)
        t.n_std = transform.std.count
        t.std = c.array(transform.std)
        return t
    }

    /// The grid's tile size is whole pixels (the writer checked).
    private static func slideEncoder(_ bundled: BundleSlideEncoder, _ c: CAllocations) -> Tessera__Bundle__SlideEncoder {
        let slide = bundled.config
        var s = Tessera__Bundle__SlideEncoder()
        tessera__bundle__slide_encoder__init(&s)
        s.in_chans = UInt32(slide.inChans)
        s.embed_dim = UInt32(slide.embedDim)
        s.depth = UInt32(slide.depth)
        s.num_heads = UInt32(slide.heads)
        s.ffn_dim = UInt32(slide.ffnDim)
        s.n_segment_lengths = slide.branches.count
        s.segment_lengths = c.array(slide.branches.map { UInt32($0.segmentLength) })
        s.n_dilation_ratios = slide.branches.count
        s.dilation_ratios = c.array(slide.branches.map { UInt32($0.ratio) })
        s.tile_size = UInt32(slide.tileSize)
        s.grid_size = UInt32(slide.gridSize)
        s.pooling = Tessera__Bundle__Pooling(rawValue: bundled.pool.manifestNumber)
        return s
    }

    /// In version 1, which has neither, `input` and `layer_norm_eps` are left out.
    private static func teacherHead(_ head: BundleTeacherHead, version: UInt32) -> Tessera__Bundle__TeacherHead {
        var h = Tessera__Bundle__TeacherHead()
        tessera__bundle__teacher_head__init(&h)
        h.in_features = UInt32(head.inFeatures)
        h.out_features = UInt32(head.outFeatures)
        if version >= 2 {
            h.input = Tessera__Bundle__TeacherHeadInput(rawValue: head.input.rawValue)
            h.layer_norm_eps = head.layerNormEps ?? 0
        }
        return h
    }

    private static func classifier(_ bundled: BundleClassifier, _ c: CAllocations) -> Tessera__Bundle__Classifier {
        let head = bundled.head
        var k = Tessera__Bundle__Classifier()
        tessera__bundle__classifier__init(&k)
        k.n_feat_layers = head.featLayers.count
        k.feat_layers = c.array(head.featLayers.map { UInt32($0) })
        k.pooling = Tessera__Bundle__Pooling(rawValue: head.pooling.manifestNumber)
        k.setting = Tessera__Bundle__ClassifierSetting(rawValue: head.setting.manifestNumber)
        k.n_classes = head.classes.count
        k.classes = c.array(head.classes.map { Optional(c.string($0)) })
        return k
    }

    private static func provenance(_ provenance: BundleProvenance, _ c: CAllocations) -> Tessera__Bundle__Provenance {
        var p = Tessera__Bundle__Provenance()
        tessera__bundle__provenance__init(&p)
        p.teacher_weights_sha256 = binary(provenance.teacherWeightsSHA256, c)
        p.distillation_run_id = c.string(provenance.distillationRunID)
        p.n_metrics = provenance.metrics.count
        p.metrics = c.array(provenance.metrics.map { metric in
            var m = Tessera__Bundle__Metric()
            tessera__bundle__metric__init(&m)
            m.name = c.string(metric.name)
            m.value = metric.value
            return Optional(c.value(m))
        })
        p.tessera_version = c.string(provenance.tesseraVersion)
        p.created_unix_seconds = provenance.createdUnixSeconds
        return p
    }

    private static func tensor(_ info: BundleTensorInfo, _ c: CAllocations) -> Tessera__Bundle__Tensor {
        var t = Tessera__Bundle__Tensor()
        tessera__bundle__tensor__init(&t)
        t.name = c.string(info.name)
        t.dtype = Tessera__Bundle__DType(rawValue: info.dtype.manifestNumber)
        t.n_shape = info.shape.count
        t.shape = c.array(info.shape.map { UInt64($0) })
        t.offset = UInt64(info.offset)
        t.stored_length = UInt64(info.storedLength)
        t.compression = Tessera__Bundle__Compression(rawValue: info.compression.rawValue)
        t.raw_length = UInt64(info.rawLength)
        t.sha256 = binary(info.sha256, c)
        if let scales = info.scales { t.scales = c.string(scales) }
        return t
    }

    private static func binary(_ bytes: [UInt8], _ c: CAllocations) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: c.array(bytes))
    }
}
