import TesseraCore
import TesseraImage
import TesseraModels
import TesseraPipeline
import TesseraTrain

/// The distillation loss of one slide and its gradient, by gradient caching (docs/models.md §5):
///
///     L_hidden = mean over N·T·D_t of (A(h_s) − h_t)²     L_slide = mean over D of (s_s − s_t)²
///     loss     = β · L_hidden + (1 − β) · L_slide
///
/// 1. every tile through the student tile encoder without saved activations: e_s [N, D_s];
/// 2. the student slide encoder forward and backward on e_s: its gradients and dL/de_s;
/// 3. the tile encoder again, one micro-batch at a time with saved activations, back-propagating
///    L_hidden's share through the adaptor plus the micro-batch's rows of dL/de_s.
/// The gradient is the whole-slide gradient (the forward pass is the same computation with or
/// without saved activations), and memory is bounded by the micro-batch, not the slide. When
/// every micro-batch's saved activations fit in `memoryBudget` bytes, step 1 keeps them and
/// step 3 runs no second forward pass.
public struct DistillationLoss: Sendable {
    public var beta: Float
    public var microBatch: Int
    public var memoryBudget: Int
    public var preprocessor: TilePreprocessor

    public init(beta: Float, microBatch: Int, memoryBudget: Int = 0, preprocessor: TilePreprocessor = .gigapath) {
        self.beta = beta
        self.microBatch = max(1, microBatch)
        self.memoryBudget = memoryBudget
        self.preprocessor = preprocessor
    }

    /// One slide's losses (in double), and what the student computed.
    public struct Value: Sendable {
        public var loss, hidden, slide: Double
        /// e_s [N, D_s]
        public var studentTileEmbeds: Tensor
        /// s_s [D]
        public var studentSlideEmbed: [Float]
    }

    public enum Failure: Error, CustomStringConvertible {
        case mismatch(String)
        public var description: String {
            switch self { case .mismatch(let why): return "the student does not fit the teacher: \(why)" }
        }
    }

    /// Adds d loss / d parameter of this slide into the student's gradient buffers.
    public func accumulate(student: Student, slide: SlideTiles, targets: TeacherTargets) throws -> Value {
        try accumulate(student: student, slide: slide, targets: targets, pool: ActivationPool(config: student.tileEncoder.config))
    }

    /// `accumulate`, with the buffers of `pool` (the student's config), which a run keeps from step to step.
    func accumulate(student: Student, slide: SlideTiles, targets: TeacherTargets, pool activations: ActivationPool) throws -> Value {
        let c = student.tileEncoder.config, n = slide.count, tokens = c.tokens
        let ds = c.embedDim, dt = student.adaptor.outFeatures, slideConfig = student.slideEncoder.config
        guard targets.hidden.shape == [n, tokens, dt], targets.slideEmbed.count == slideConfig.embedDim else {
            throw Failure.mismatch("teacher hidden states \(targets.hidden.shape) and slide embedding [\(targets.slideEmbed.count)] "
                                   + "for \(n) tiles, a student of \(tokens) tokens, adaptor to \(dt), slide width \(slideConfig.embedDim)")
        }
        let grads = try student.gradients()
        let reader = TileBatches(preprocessor: preprocessor, batchSize: microBatch, strict: true)
        let batches = stride(from: 0, to: n, by: microBatch).map { $0..<min($0 + microBatch, n) }
        let keep = batches.count * VisionTransformer.TrainingActivations.floatCount(
            config: c, batch: min(microBatch, n), recompute: false) * MemoryLayout<Float>.size <= memoryBudget

        // 1. e_s for every tile (the pipeline's inference run, or the training forward keeping every micro-batch).
        let tileEmbeds: Tensor
        var kept: [VisionTransformer.TrainingActivations] = []
        if keep {
            tileEmbeds = Tensor(zeros: [n, ds])
            _ = try reader.forEach(slide) { (batch) throws(PipelineError) in
                let act = VisionTransformer.TrainingActivations(config: c, batch: batch.tiles.count)
                let (_, embedding) = student.tileEncoder.forward(images: batch.images, activations: act)
                (tileEmbeds.mutableFloatPointer + batch.rows.lowerBound * ds).update(from: embedding, count: batch.rows.count * ds)
                kept.append(act)
            }
        } else {
            tileEmbeds = try TileEmbedder(model: student.tileEncoder, preprocessor: preprocessor, batchSize: microBatch, strict: true)
                .embed(slide).tileEmbeds
        }

        // 2. The slide loss through the student slide encoder: its gradients and dL/de_s.
        let cells = try SlideEmbedder(model: student.slideEncoder).placing(slide.geometry)
            .cells(tileEmbeds: tileEmbeds, coords: slide.coords, names: slide.names)
        let slideActivations = SlideEncoder.TrainingActivations(config: slideConfig, tiles: n)
        let slideEmbed = try student.slideEncoder.forward(training: tileEmbeds, cells: cells,
                                                          activations: slideActivations).globalPoolEmbed
        // dSlide = d L / d s_s = (1 − β) · 2 / D · (s_s − s_t)
        var dSlide = slideEmbed
        let slideLoss = dSlide.withUnsafeMutableBufferPointer {
            MeanSquaredError.sum($0.baseAddress!, target: Tensor(shape: [slideEmbed.count], floats: targets.slideEmbed),
                                 count: slideEmbed.count, gradientScale: (1 - beta) * 2 / Float(slideEmbed.count))
        } / Double(slideEmbed.count)
        let dTileEmbeds = Tensor(zeros: [n, ds])
        student.slideEncoder.backward(activations: slideActivations, globalPoolGradient: dSlide, gradients: grads.slide,
                                      tileEmbeds: tileEmbeds, tileGradient: dTileEmbeds.mutableFloatPointer)

        // 3. Per micro-batch: L_hidden's share through the adaptor, plus dL/de_s, back through the tile encoder
        //    (its activations kept from step 1, or recomputed by the training forward).
        let adaptor = student.adaptor, gAdaptor = grads.adaptor
        let scale = beta * 2 / Float(n * tokens * dt)
        var hiddenLoss = 0.0
        func backward(_ rows: Range<Int>, _ act: VisionTransformer.TrainingActivations) {
            let lastHidden = act.saved.states[c.depth], tokenRows = rows.count * tokens
            let projected = activations.scratch(tokenRows * dt), dHidden = activations.hiddenGradient(tokenRows * ds)
            adaptor(out: projected, inp: lastHidden, rows: tokenRows)
            hiddenLoss += MeanSquaredError.sum(projected, target: targets.hidden, from: rows.lowerBound * tokens * dt,
                                               count: tokenRows * dt, gradientScale: scale)
            dHidden.update(repeating: 0, count: tokenRows * ds)
            Linear.backward(dinp: dHidden, dweight: gAdaptor.of(gAdaptor.tree.weight), dbias: gAdaptor.of(gAdaptor.tree.bias),
                            dout: projected, inp: lastHidden, weight: adaptor.weight.floatPointer, rows: tokenRows,
                            inFeatures: ds, outFeatures: dt)
            student.tileEncoder.backward(activations: act, hiddenGradients: [c.depth - 1: dHidden],
                                         embeddingGradient: dTileEmbeds.floatPointer + rows.lowerBound * ds,
                                         gradients: grads.tile)
        }
        if keep {
            for (rows, act) in zip(batches, kept) { backward(rows, act) }
        } else {
            _ = try reader.forEach(slide) { (batch) throws(PipelineError) in
                let act = activations.training(batch: batch.tiles.count)
                student.tileEncoder.forward(images: batch.images, activations: act)
                backward(batch.rows, act)
            }
        }
        hiddenLoss /= Double(n * tokens * dt)
        let loss = Double(beta) * hiddenLoss + Double(1 - beta) * slideLoss
        return Value(loss: loss, hidden: hiddenLoss, slide: slideLoss, studentTileEmbeds: tileEmbeds, studentSlideEmbed: slideEmbed)
    }
}
