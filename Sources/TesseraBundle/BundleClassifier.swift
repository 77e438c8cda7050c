import TesseraModels

/// A bundle's fine-tuned classifier after the slide encoder (prov-gigapath's `ClassificationHead`):
/// the model's own head description (which layers, how pooled, the task, the class names; no
/// mirrored copy) over `classifier.0.weight` [C, L·D] and `classifier.0.bias` [C], kept F32.
/// Format version 3: an older reader would run the bundle without it.
public struct BundleClassifier: Equatable, Sendable {
    public var head: SlideClassifier.Head

    public init(head: SlideClassifier.Head) {
        self.head = head
    }

    /// The format version that introduced the classifier.
    static let formatVersion: UInt32 = 3

    /// Each tensor the classifier needs, with its shape, on a slide encoder `embedDim` wide.
    func tensorShapes(embedDim: Int) -> [(name: String, shape: [Int])] {
        let prefix = BundleComponent.classifier.prefix + "0."
        let classes = head.classes.count
        return [(prefix + "weight", [classes, head.featLayers.count * embedDim]), (prefix + "bias", [classes])]
    }

    /// The checks of formats/bundle.md ("Reading", 4): a slide encoder to sit on, feature layers
    /// within its depth, unique class names, two of them for a binary task.
    func validate(slideEncoder: SlideEncoder.Config?, path: String) throws(BundleError) {
        guard let slideEncoder else {
            throw BundleError(path: path, problem: .inconsistent("classifier without a slide_encoder to sit on"))
        }
        if let layer = head.featLayers.first(where: { $0 > slideEncoder.depth }) {
            throw BundleError(path: path, problem: .outOfRange(
                field: "classifier.feat_layers", value: String(layer),
                expected: "0...\(slideEncoder.depth) (0 = the slide encoder's input, \(slideEncoder.depth) = its last layer)"))
        }
        if head.setting == .binary && head.classes.count != 2 {
            throw BundleError(path: path, problem: .inconsistent(
                "classifier.setting is binary but classifier.classes has \(head.classes.count) names, not 2"))
        }
        var seen = Set<String>()
        for name in head.classes where !seen.insert(name).inserted {
            throw BundleError(path: path, problem: .duplicate(field: "classifier.classes", value: name))
        }
    }
}
