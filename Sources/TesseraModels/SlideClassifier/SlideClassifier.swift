import CPosix
import TesseraCore

/// prov-gigapath's slide-level `ClassificationHead` after the slide encoder (docs/models.md §6):
/// the embeddings of the layers in `featLayers` (index 0 = the encoder's input, i = the output
/// of layer i, never `encoder.layer_norm`), each pooled by `pooling` and concatenated in that
/// order, then `classifier.0`, a Linear to the classes.
///
/// Legend: L = featLayers.count, D = the slide encoder's embedDim, C = classes.count.
public struct SlideClassifier: Sendable {
    public let head: Head
    /// `classifier.0`: weight [C, L·D], bias [C].
    public let linear: LinearLayer

    /// What the weights do not say: which layers, how they are pooled (the class token, or the
    /// mean of the tile tokens: upstream's `global_pool`; each through the slide encoder's `norm`),
    /// what the outputs mean.
    public struct Head: Sendable, Equatable {
        public var featLayers: [Int]
        public var pooling: SlidePool
        public var setting: Setting
        /// The class (or label) names in output order: label_dict's keys sorted by value.
        public var classes: [String]

        public init(featLayers: [Int], pooling: SlidePool, setting: Setting, classes: [String]) {
            self.featLayers = featLayers
            self.pooling = pooling
            self.setting = setting
            self.classes = classes
        }

        /// Why this head cannot sit on a slide encoder of `depth` layers, if it cannot.
        public func problem(depth: Int) -> String? {
            if featLayers.isEmpty { return "no feature layers" }
            if let bad = featLayers.first(where: { !(0...depth).contains($0) }) {
                return "feature layer \(bad) is outside 0...\(depth) (0 = the encoder's input, \(depth) = its last layer)"
            }
            if classes.isEmpty { return "no classes" }
            if setting == .binary && classes.count != 2 { return "a binary task has 2 classes, not \(classes.count)" }
            return nil
        }
    }

    /// The task: softmax over the classes (`multi_class`, `binary`: cross-entropy) or a sigmoid per
    /// label (`multi_label`: BCE with logits).
    public enum Setting: String, Sendable, Equatable, CaseIterable {
        case multiClass = "multi_class"
        case binary
        case multiLabel = "multi_label"

        /// probabilities [C] of logits [C]: softmax (multi_class, binary) or sigmoid (multi_label).
        public func probabilities(logits: [Float]) -> [Float] {
            switch self {
            case .multiClass, .binary:
                var out = logits
                out.withUnsafeMutableBufferPointer { Softmax.forward($0.baseAddress!, rows: 1, cols: $0.count) }
                return out
            case .multiLabel:
                return logits.map { 1 / (1 + expf(-$0)) }
            }
        }
    }

    /// `classifier.0.weight` and `.bias` under `root` (the scope holding `classifier`).
    public init(_ root: WeightScope, head: Head, embedDim: Int) {
        self.head = head
        linear = LinearLayer(root.scope("classifier").scope("0"), inFeatures: head.featLayers.count * embedDim,
                             outFeatures: head.classes.count)
    }

    /// The classifier's input [L·D] from one slide's embeddings.
    public func features(_ embeddings: SlideEmbeddings) -> [Float] {
        let layers = head.pooling == .cls ? embeddings.layerEmbeds : embeddings.layerMeanEmbeds
        return head.featLayers.flatMap { layers[$0] }
    }

    /// logits [C] from features [L·D].
    public func logits(features: [Float]) -> [Float] {
        precondition(features.count == linear.inFeatures, "SlideClassifier: \(features.count) features for \(linear.inFeatures) inputs")
        var out = [Float](repeating: 0, count: linear.outFeatures)
        out.withUnsafeMutableBufferPointer { linear(out: $0.baseAddress!, inp: features, rows: 1) }
        return out
    }

    /// probabilities [C] as the task was trained (`Setting.probabilities`).
    public func probabilities(logits: [Float]) -> [Float] { head.setting.probabilities(logits: logits) }
}
