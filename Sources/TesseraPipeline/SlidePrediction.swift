import TesseraCore
import TesseraIO
import TesseraModels

/// A fine-tuned classifier's answer for one slide: `logits` [C] and `probabilities` [C]
/// (softmax for multi_class and binary, a sigmoid per class for multi_label, as trained), with
/// the class names in output order. Written beside the slide's embeddings by `tessera embed
/// --slide-encoder RUN` and `tessera-edge run`, under these names.
public struct SlidePrediction: Sendable {
    public let classes: [String]
    public let setting: SlideClassifier.Setting
    public let logits: [Float]
    public let probabilities: [Float]
    /// The attention the class token pays each tile in the slide encoder's last layer [N]
    /// (`SlideEncoder.classTokenAttention`): where the prediction looked.
    public let classAttention: [Float]?

    /// The output tensors' names, and the metadata keys of the class names (a JSON list) and the task.
    public static let logitsName = "logits", probabilitiesName = "probabilities", attentionName = "class_attention"
    public static let classesKey = "classes", settingKey = "setting"

    /// `classifier` on one slide's embeddings (and the class token's attention, when computed).
    public init(classifier: SlideClassifier, embeddings: SlideEmbeddings, classAttention: [Float]? = nil) {
        self.classAttention = classAttention
        classes = classifier.head.classes
        setting = classifier.head.setting
        logits = classifier.logits(features: classifier.features(embeddings))
        probabilities = classifier.probabilities(logits: logits)
    }

    /// The `k` most probable classes, most probable first (equal probabilities in output order).
    public func top(_ k: Int = 3) -> [(name: String, probability: Float)] {
        let order = probabilities.indices.sorted { probabilities[$0] > probabilities[$1] || (probabilities[$0] == probabilities[$1] && $0 < $1) }
        return order.prefix(k).map { (classes[$0], probabilities[$0]) }
    }

    /// One line for people: `top classes (multi_class): tumour 0.8123, normal 0.1500, other 0.0377`.
    public var summary: String {
        "top classes (\(setting.rawValue)): " + top().map { $0.name + " " + Self.fixed(Double($0.probability), 4) }.joined(separator: ", ")
    }

    /// Adds `logits` and `probabilities` [C] (and `class_attention` [N]) to `dict`, and the class names and the task to its metadata.
    public func add(to dict: inout StateDict) {
        dict.set(Self.logitsName, Tensor(shape: [logits.count], floats: logits))
        dict.set(Self.probabilitiesName, Tensor(shape: [probabilities.count], floats: probabilities))
        if let classAttention { dict.set(Self.attentionName, Tensor(shape: [classAttention.count], floats: classAttention)) }
        dict.metadata[Self.classesKey] = JSONValue.array(classes.map { .string($0) }).serialized()
        dict.metadata[Self.settingKey] = setting.rawValue
    }

    /// `value` with `digits` decimals (no Foundation formatting on the edge).
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * scale).rounded())
        let whole = scaled / Int(scale), fraction = scaled % Int(scale)
        var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
        }
        return text
    }
}
