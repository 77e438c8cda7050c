import CTesseraKernels
import Foundation
import TesseraCore
import TesseraModels
import TesseraTrain

/// prov-gigapath's linear probe (linear_probe/main.py): one Linear layer on frozen embeddings,
/// trained for a fixed number of SGD iterations with a cosine-annealed learning rate, its
/// gradient written out by hand (`LinearProbe.Gradient`; the reference in double precision is the
/// test's). docs/models.md §6.6 lists where it differs from upstream.
///
/// Legend: N = training slides, B = the batch (min(batchSize, N)), D = the embedding's width,
/// C = classes (label_dict's size).
///
/// - multi_class, binary: softmax cross-entropy, mean over the batch (upstream's
///   `nn.CrossEntropyLoss`); probabilities are the softmax.
/// - multi_label: sigmoid with binary cross-entropy, mean over the B·C entries
///   (`nn.BCEWithLogitsLoss`; upstream's probe has no multi-label mode, this is the fine-tuning
///   recipe's loss); probabilities are the sigmoids.
public struct LinearProbe: Sendable {
    /// How embeddings are scaled before the layer.
    public enum Normalization: String, Sendable, CaseIterable {
        /// As they are (upstream's default).
        case none
        /// Each feature by the mean and standard deviation (ddof 0; 1 where it is 0) of the
        /// training slides, the statistics kept with the weights and applied to every split.
        case train
        /// Each embedding by its own mean and standard deviation over its D values (ddof 1, as
        /// torch's `std`): what upstream's `--z_score` does. A constant embedding becomes zeros
        /// (upstream divides by zero there).
        case slide
    }

    /// The recipe's settings; the defaults are upstream's (`--lr 0.01 --min_lr 0 --batch_size 512
    /// --train_iters 12500 --momentum 0 --weight_decay 0 --seed 42`, no z-score).
    public struct Options: Equatable, Sendable {
        public var learningRate = 0.01
        public var minLearningRate = 0.0
        public var batchSize = 512
        public var iterations = 12500
        public var momentum = 0.0
        public var weightDecay = 0.0
        public var seed: UInt64 = 42
        public var normalization = Normalization.none
        public init() {}

        /// Why these options cannot train, if they cannot.
        public var problem: String? {
            if !(learningRate > 0 && learningRate.isFinite) { return "the learning rate must be positive, got \(learningRate)" }
            if !(minLearningRate >= 0 && minLearningRate <= learningRate) {
                return "the minimum learning rate must be in [0, \(learningRate)], got \(minLearningRate)"
            }
            if batchSize < 1 { return "the batch size must be at least 1, got \(batchSize)" }
            if iterations < 1 { return "the number of iterations must be at least 1, got \(iterations)" }
            if !(momentum >= 0 && momentum < 1) { return "the momentum must be in [0, 1), got \(momentum)" }
            if !(weightDecay >= 0 && weightDecay.isFinite) { return "the weight decay must be non-negative, got \(weightDecay)" }
            return nil
        }
    }

    public let setting: SlideClassifier.Setting
    public let normalization: Normalization
    /// D and C.
    public let dim: Int
    public let classes: Int
    /// `fc.weight` [C, D] and `fc.bias` [C].
    public internal(set) var weight: [Float]
    public internal(set) var bias: [Float]
    /// The training statistics [D] of `.train` normalisation: x ↦ (x − mean) / std; empty otherwise.
    public let mean: [Float]
    public let std: [Float]

    /// A probe with given parameters (weight [C, D], bias [C]; mean and std [D] for `.train`, else empty).
    public init(setting: SlideClassifier.Setting, normalization: Normalization, weight: [Float], bias: [Float],
                mean: [Float] = [], std: [Float] = []) {
        precondition(!bias.isEmpty && weight.count % bias.count == 0, "LinearProbe: weight \(weight.count) for bias \(bias.count)")
        self.setting = setting
        self.normalization = normalization
        self.weight = weight
        self.bias = bias
        classes = bias.count
        dim = weight.count / bias.count
        precondition(normalization != .train || (mean.count == dim && std.count == dim), "LinearProbe: training statistics of width \(mean.count)")
        self.mean = mean
        self.std = std
    }

    /// Trains a probe on `features` [N, D] with `targets` [N][C] (one-hot or multi-hot).
    ///
    /// The layer starts as torch's `nn.Linear` does (weight and bias uniform in ±1/√D), drawn from
    /// `RandomGenerator(seed)`. Each iteration takes the next B slides of a random order of the
    /// training set (drawn from the same generator, a new order after every pass), so the run is
    /// the same for the same inputs and seed. The step is torch's SGD: g = ∇ + wd·θ; with
    /// momentum, v = μ·v + g (v = g at the first step) and g = v; θ −= lr_t·g, where lr_t follows
    /// `CosineAnnealingLR(T_max = iterations, eta_min = minLR)`:
    /// lr_t = minLR + (lr − minLR)(1 + cos(π t / T)) / 2 for t = 0 ... T−1.
    /// `progress(t, loss)` is called after each iteration t (1-based) with that batch's loss.
    public static func train(features: [Float], dim: Int, targets: [[Float]], setting: SlideClassifier.Setting,
                             options: Options, progress: ((_ iteration: Int, _ loss: Double) -> Void)? = nil)
        throws(FinetuneError) -> LinearProbe {
        if let problem = options.problem { throw .badArgument("linear probe: \(problem)") }
        let n = targets.count
        guard n > 0, dim > 0, features.count == n * dim else {
            throw .badArgument("linear probe: \(features.count) feature values for \(n) slides of width \(dim)")
        }
        let c = targets[0].count
        guard c > 0, targets.allSatisfy({ $0.count == c }) else { throw .badArgument("linear probe: targets of unequal widths") }

        var generator = RandomGenerator(seed: options.seed)
        let bound = 1 / Double(dim).squareRoot()
        let initialWeight = (0..<(c * dim)).map { _ in Float((2 * generator.uniform() - 1) * bound) }
        let initialBias = (0..<c).map { _ in Float((2 * generator.uniform() - 1) * bound) }
        let (mean, std) = options.normalization == .train ? statistics(features, dim: dim) : ([], [])
        var probe = LinearProbe(setting: setting, normalization: options.normalization, weight: initialWeight, bias: initialBias,
                                mean: mean, std: std)
        let x = probe.normalized(features)
        let y = targets.flatMap { $0 }

        let batch = min(options.batchSize, n)
        let schedule = LearningRateSchedule(baseLR: options.learningRate, warmupSteps: 0, totalSteps: options.iterations,
                                            minLR: options.minLearningRate)
        var order = Array(0..<n)
        var next = n  // a fresh order before the first batch
        var rows = [Int](repeating: 0, count: batch)
        var gradient = Gradient(classes: c, dim: dim, batch: batch)
        var velocityWeight = [Float](repeating: 0, count: c * dim), velocityBias = [Float](repeating: 0, count: c)
        for t in 0..<options.iterations {
            for i in 0..<batch {
                if next == n {
                    order.shuffle(using: &generator)
                    next = 0
                }
                rows[i] = order[next]
                next += 1
            }
            let loss = gradient.compute(weight: probe.weight, bias: probe.bias, x: x, y: y, rows: rows, setting: setting)
            let lr = Float(schedule.lr(at: t))
            step(&probe.weight, gradient.weight, &velocityWeight, lr: lr, options: options, first: t == 0)
            step(&probe.bias, gradient.bias, &velocityBias, lr: lr, options: options, first: t == 0)
            progress?(t + 1, loss)
        }
        return probe
    }

    /// One SGD step of torch's `optim.SGD(momentum, weight_decay)` (dampening 0, not Nesterov).
    static func step(_ parameter: inout [Float], _ gradient: [Float], _ velocity: inout [Float], lr: Float, options: Options, first: Bool) {
        let decay = Float(options.weightDecay), momentum = Float(options.momentum)
        for i in parameter.indices {
            var g = gradient[i] + decay * parameter[i]
            if momentum != 0 {
                velocity[i] = first ? g : momentum * velocity[i] + g
                g = velocity[i]
            }
            parameter[i] -= lr * g
        }
    }

    /// Per-feature mean and standard deviation (ddof 0, 1 where 0) of `features` [N, D], in double precision.
    static func statistics(_ features: [Float], dim: Int) -> (mean: [Float], std: [Float]) {
        let n = features.count / dim
        var sum = [Double](repeating: 0, count: dim), squares = [Double](repeating: 0, count: dim)
        for r in 0..<n { for j in 0..<dim { sum[j] += Double(features[r * dim + j]) } }
        let mean = sum.map { $0 / Double(n) }
        for r in 0..<n {
            for j in 0..<dim {
                let centred = Double(features[r * dim + j]) - mean[j]
                squares[j] += centred * centred
            }
        }
        let std = squares.map { v -> Float in
            let s = (v / Double(n)).squareRoot()
            return s > 0 ? Float(s) : 1
        }
        return (mean.map(Float.init), std)
    }

    /// `features` [R, D] as the layer sees them, after this probe's normalisation.
    public func normalized(_ features: [Float]) -> [Float] {
        let rows = features.count / dim
        switch normalization {
        case .none:
            return features
        case .train:
            var out = features
            for r in 0..<rows { for j in 0..<dim { out[r * dim + j] = (features[r * dim + j] - mean[j]) / std[j] } }
            return out
        case .slide:
            var out = features
            for r in 0..<rows {
                let row = features[(r * dim)..<((r + 1) * dim)].map(Double.init)
                let m = row.reduce(0, +) / Double(dim)
                let variance = dim > 1 ? row.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(dim - 1) : 0
                let s = variance.squareRoot()
                for j in 0..<dim { out[r * dim + j] = Float(s > 0 ? (row[j] - m) / s : 0) }
            }
            return out
        }
    }

    /// The probabilities [R][C] of `features` [R, D]: softmax (multi_class, binary) or sigmoid (multi_label).
    public func probabilities(_ features: [Float]) -> [[Float]] {
        let rows = features.count / dim
        let x = normalized(features)
        var z = [Float](repeating: 0, count: rows * classes)
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                z.withUnsafeMutableBufferPointer { zp in
                    GEMM.sgemm(transB: true, m: rows, n: classes, k: dim, a: xp.baseAddress!, lda: dim, b: wp.baseAddress!, ldb: dim,
                               c: zp.baseAddress!, ldc: classes)
                }
            }
        }
        return (0..<rows).map { r in
            let logits = (0..<classes).map { z[r * classes + $0] + bias[$0] }
            switch setting {
            case .multiClass, .binary:
                let peak = logits.max()!
                let e = logits.map { exp($0 - peak) }
                let total = e.reduce(0, +)
                return e.map { $0 / total }
            case .multiLabel:
                return logits.map { 1 / (1 + exp(-$0)) }
            }
        }
    }

    /// The probe's tensors: `fc.weight` [C, D] and `fc.bias` [C] (upstream's `LinearProbe.fc`),
    /// and for `.train` normalisation `z_score.mean` and `z_score.std` [D].
    public var stateDict: StateDict {
        var dict = StateDict()
        dict.set("fc.weight", Tensor(shape: [classes, dim], floats: weight))
        dict.set("fc.bias", Tensor(shape: [classes], floats: bias))
        if normalization == .train {
            dict.set("z_score.mean", Tensor(shape: [dim], floats: mean))
            dict.set("z_score.std", Tensor(shape: [dim], floats: std))
        }
        return dict
    }
}

extension LinearProbe {
    /// The loss of one batch and its gradient, a chunk of rows at a time, each chunk in one pass
    /// of the C kernels (`tk_probe_logits`, then `tk_probe_accumulate`): the batch's rows of x are
    /// read in place through their indices (no copies, no GEMM packing: the products are
    /// [chunk, D] x [D, C] with C a handful of classes), the chunks spread over the threads.
    ///
    /// For rows r of x [N, D] (normalised) with targets y [N, C]: z_r = W·x_r + b [C];
    /// g_r = (softmax(z_r) − y_r) / B (multi_class, binary: cross-entropy, mean over the batch) or
    /// (σ(z_r) − y_r) / (B·C) (multi_label: BCE with logits, mean over every entry);
    /// ∂loss/∂W = Σ_r g_r ⊗ x_r = Gᵀ·X [C, D], ∂loss/∂b = Σ_r g_r [C].
    ///
    /// The batch is cut into chunks of `chunkRows` rows whatever the thread count; each chunk sums
    /// into its own buffer (its rows in batch order, one fused multiply-add each; W·x_r in the
    /// kernel's fixed 16 lanes), and the buffers are added in chunk order, so the result is the
    /// same on any number of threads, and on every kernel path.
    struct Gradient {
        static let chunkRows = 64
        let classes: Int, dim: Int
        /// ∂loss/∂W [C, D] and ∂loss/∂b [C] of the last `compute`.
        private(set) var weight: [Float]
        private(set) var bias: [Float]
        /// Per chunk: W's sum [C·D], then b's [C].
        private var partials: [Float]
        /// Per chunk: its logits, then g [chunkRows, C].
        private var logits: [Float]
        private var losses: [Double]
        private let path = tk_best_path()

        init(classes: Int, dim: Int, batch: Int) {
            self.classes = classes
            self.dim = dim
            weight = [Float](repeating: 0, count: classes * dim)
            bias = [Float](repeating: 0, count: classes)
            let chunks = (batch + Self.chunkRows - 1) / Self.chunkRows
            partials = [Float](repeating: 0, count: chunks * (classes * dim + classes))
            logits = [Float](repeating: 0, count: chunks * Self.chunkRows * classes)
            losses = [Double](repeating: 0, count: chunks)
        }

        /// The mean loss over `rows` (indices into x [N, D] and y [N, C]), leaving its gradient in
        /// `weight` and `bias`; accumulated in float, the loss in double.
        mutating func compute(weight w: [Float], bias b: [Float], x: [Float], y: [Float], rows: [Int],
                              setting: SlideClassifier.Setting) -> Double {
            let c = classes, d = dim, stride = c * d + c, chunkRows = Self.chunkRows, path = path
            let chunks = (rows.count + chunkRows - 1) / chunkRows
            precondition(chunks * stride <= partials.count, "LinearProbe.Gradient: a batch of \(rows.count) rows is larger than planned")
            precondition(w.count == c * d && b.count == c && x.count % d == 0 && y.count == x.count / d * c,
                         "LinearProbe.Gradient: weight \(w.count), bias \(b.count), x \(x.count), y \(y.count) for C \(c), D \(d)")
            let n = x.count / d, batch = rows.count
            let multiLabel = setting == .multiLabel
            let scale = multiLabel ? 1 / Float(rows.count * c) : 1 / Float(rows.count)
            partials.withUnsafeMutableBufferPointer { partials in
            logits.withUnsafeMutableBufferPointer { logits in
            losses.withUnsafeMutableBufferPointer { losses in
            w.withUnsafeBufferPointer { w in
            x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
            rows.withUnsafeBufferPointer { rows in
                let partials = partials.baseAddress!, logits = logits.baseAddress!
                let losses = losses.baseAddress!, w = w.baseAddress!, x = x.baseAddress!, y = y.baseAddress!, rows = rows.baseAddress!
                Parallel.forEach(chunks) { chunk in
                    let first = chunk * chunkRows, count = min(chunkRows, batch - first)
                    let zc = logits + chunk * chunkRows * c, chunkRowsAt = rows + first
                    let forward = tk_probe_logits(path, x, n, d, chunkRowsAt, count, w, c, zc)
                    precondition(forward == TK_OK, "LinearProbe.Gradient: tk_probe_logits failed (\(forward))")
                    var loss = 0.0
                    for i in 0..<count {
                        let z = zc + i * c, yr = y + chunkRowsAt[i] * c
                        for k in 0..<c { z[k] += b[k] }
                        if multiLabel {
                            for k in 0..<c {
                                // max(z, 0) − z·y + log(1 + e^−|z|): torch's stable form.
                                loss += Double(max(z[k], 0) - z[k] * yr[k] + log1p(exp(-abs(z[k]))))
                                let sigmoid = z[k] >= 0 ? 1 / (1 + exp(-z[k])) : exp(z[k]) / (1 + exp(z[k]))
                                z[k] = (sigmoid - yr[k]) * scale
                            }
                        } else {
                            var peak = -Float.infinity
                            for k in 0..<c { peak = max(peak, z[k]) }
                            var total: Float = 0
                            for k in 0..<c { total += exp(z[k] - peak) }
                            let logTotal = log(total)
                            for k in 0..<c {
                                let logProbability = z[k] - peak - logTotal
                                loss -= Double(yr[k] * logProbability)
                                z[k] = (exp(logProbability) - yr[k]) * scale
                            }
                        }
                    }
                    // zc now holds G for the chunk's rows.
                    let gw = partials + chunk * stride, gb = gw + c * d
                    gw.update(repeating: 0, count: c * d)
                    let backward = tk_probe_accumulate(path, x, n, d, chunkRowsAt, count, zc, c, gw)
                    precondition(backward == TK_OK, "LinearProbe.Gradient: tk_probe_accumulate failed (\(backward))")
                    for k in 0..<c {
                        var sum: Float = 0
                        for i in 0..<count { sum += zc[i * c + k] }
                        gb[k] = sum
                    }
                    losses[chunk] = loss
                }
            }
            }
            }
            }
            }
            }
            }
            // The chunks' sums in chunk order (0 + p_0 + p_1 + ...), element by element.
            partials.withUnsafeBufferPointer { partials in
                weight.withUnsafeMutableBufferPointer { weight in
                    bias.withUnsafeMutableBufferPointer { bias in
                        let p = partials.baseAddress!, gw = weight.baseAddress!, gb = bias.baseAddress!
                        gw.update(repeating: 0, count: c * d)
                        gb.update(repeating: 0, count: c)
                        for chunk in 0..<chunks {
                            let part = p + chunk * stride
                            for j in 0..<(c * d) { gw[j] += part[j] }
                            for k in 0..<c { gb[k] += part[c * d + k] }
                        }
                    }
                }
            }
            let total = losses[0..<chunks].reduce(0, +)
            return total / Double(multiLabel ? rows.count * c : rows.count)
        }
    }
}
