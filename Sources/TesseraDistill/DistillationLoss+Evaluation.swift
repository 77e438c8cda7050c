import TesseraCore
import TesseraModels
import TesseraPipeline
import TesseraTrain

extension DistillationLoss {
    /// How close the student is to the teacher on one slide, without gradients.
    public struct Evaluation: Sendable {
        public var hidden, slide: Double
        /// cos(s_s, s_t)
        public var slideCosine: Double
        /// The smallest over the tiles of cos(teacher_norm(A(h_s[CLS])), e_t): how well the
        /// teacher-space head (what `tessera export` bundles from a run) stands in for the
        /// teacher's tile embeddings.
        public var headCosine: Double
    }

    public func evaluate(student: Student, slide: SlideTiles, targets: TeacherTargets,
                         teacherNorm: LayerNormLayer) throws -> Evaluation {
        let c = student.tileEncoder.config, n = slide.count, tokens = c.tokens
        let dt = student.adaptor.outFeatures
        var hidden = 0.0, head = 1.0
        let teacherEmbeds = targets.tileEmbeds.floats()
        let teacherHead = TeacherSpaceHead(linear: student.adaptor, norm: teacherNorm)
        let projected = Tensor(zeros: [min(microBatch, n) * tokens, dt]), headRows = Tensor(zeros: [min(microBatch, n), dt])
        let lastBlock = BlockOutputConsumer(block: c.depth - 1) { rows, x in
            let tokenRows = rows.count * tokens
            student.adaptor(out: projected.mutableFloatPointer, inp: x, rows: tokenRows)
            teacherHead(out: headRows.mutableFloatPointer, classTokensOf: x, batch: rows.count, tokens: tokens)
            for (i, tile) in rows.enumerated() {
                let cls = Array(UnsafeBufferPointer(start: headRows.floatPointer + i * dt, count: dt))
                head = min(head, Self.cosine(cls, Array(teacherEmbeds[(tile * dt)..<((tile + 1) * dt)])))
            }
            hidden += MeanSquaredError.sum(projected.mutableFloatPointer, target: targets.hidden,
                                           from: rows.lowerBound * tokens * dt, count: tokenRows * dt)
        }
        let run = TileEmbedder(model: student.tileEncoder, preprocessor: preprocessor, batchSize: microBatch, strict: true)
        let tileEmbeds = try run.embed(slide, consumers: [lastBlock]).tileEmbeds
        let slideEmbed = try SlideEmbedder(model: student.slideEncoder).placing(slide.geometry)
            .embed(tileEmbeds: tileEmbeds, coords: slide.coords, names: slide.names).globalPoolEmbed
        var ownSlideEmbed = slideEmbed
        let slideLoss = MeanSquaredError.sum(&ownSlideEmbed, target: Tensor(shape: [slideEmbed.count], floats: targets.slideEmbed),
                                             count: slideEmbed.count)
        return Evaluation(hidden: hidden / Double(n * tokens * dt), slide: slideLoss / Double(slideEmbed.count),
                          slideCosine: Self.cosine(slideEmbed, targets.slideEmbed), headCosine: head)
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            ab += Double(x) * Double(y)
            aa += Double(x) * Double(x)
            bb += Double(y) * Double(y)
        }
        return ab / max((aa * bb).squareRoot(), .leastNormalMagnitude)
    }
}
