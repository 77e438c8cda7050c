import TesseraCore
import TesseraModels

extension BundleManifest {
    /// The configured components.
    var components: [BundleComponent] {
        [.tileEncoder] + (slideEncoder == nil ? [] : [.slideEncoder]) + (teacherHead == nil ? [] : [.teacherHead])
            + (classifier == nil ? [] : [.classifier])
    }

    /// Tensor names are unique and belong to configured components, each of which
    /// has tensors; int8 tensors and their scales pair up; the head's tensors fit
    /// its configuration; decompressing everything stays within the limit.
    func validateTensors(path: String, limits: BundleLimits) throws(BundleError) {
        func fail(_ tensor: String?, _ problem: BundleError.Problem) -> BundleError {
            BundleError(path: path, tensor: tensor, problem: problem)
        }
        let present = components
        var index: [String: Int] = [:]
        for (i, tensor) in tensors.enumerated() {
            guard index.updateValue(i, forKey: tensor.name) == nil else {
                throw fail(tensor.name, .duplicate(field: "tensors.name", value: tensor.name))
            }
            guard let component = BundleComponent.of(tensor.name), present.contains(component) else {
                throw fail(tensor.name, .outsideComponents)
            }
        }
        for component in present where !tensors.contains(where: { $0.name.hasPrefix(component.prefix) }) {
            throw fail(nil, .componentWithoutTensors(component.name))
        }

        var decompressed = 0
        var scaleOwners: [String: String] = [:]
        for tensor in tensors {
            if tensor.compression == .zstd {
                let (sum, overflow) = decompressed.addingReportingOverflow(tensor.rawLength)
                guard !overflow, sum <= limits.maxDecompressedBytes else {
                    throw fail(tensor.name, .decompressedTooLarge(total: overflow ? Int.max : sum, limit: limits.maxDecompressedBytes))
                }
                decompressed = sum
            }
            guard tensor.dtype == .i8 else {
                if let scales = tensor.scales {
                    throw fail(tensor.name, .outOfRange(field: "scales", value: "'\(scales)'", expected: "none for \(tensor.dtype.rawValue)"))
                }
                continue
            }
            guard tensor.shape.count == 2 else {
                throw fail(tensor.name, .outOfRange(field: "shape", value: "of rank \(tensor.shape.count)", expected: "rank 2 for INT8"))
            }
            guard let scalesName = tensor.scales else { throw fail(tensor.name, .missingField("scales")) }
            guard let j = index[scalesName] else {
                throw fail(scalesName, .missingTensor(referencedBy: "the scales of '\(tensor.name)'"))
            }
            let scales = tensors[j]
            guard scales.dtype == .f32 else { throw fail(scalesName, .wrongDType(expected: "F32", actual: scales.dtype.rawValue)) }
            guard scales.shape == [tensor.shape[0]] else {
                throw fail(scalesName, .wrongShape(expected: [tensor.shape[0]], actual: scales.shape))
            }
            if let owner = scaleOwners.updateValue(tensor.name, forKey: scalesName) {
                throw fail(tensor.name, .scalesShared(with: owner))
            }
        }

        if let head = teacherHead {
            for (name, shape) in head.tensorShapes {
                guard let j = index[name] else { throw fail(name, .missingTensor(referencedBy: "teacher_head")) }
                guard tensors[j].shape == shape else { throw fail(name, .wrongShape(expected: shape, actual: tensors[j].shape)) }
            }
        }
        if let classifier, let slide = slideEncoder {
            for (name, shape) in classifier.tensorShapes(embedDim: slide.config.embedDim) {
                guard let j = index[name] else { throw fail(name, .missingTensor(referencedBy: "classifier")) }
                guard tensors[j].shape == shape else { throw fail(name, .wrongShape(expected: shape, actual: tensors[j].shape)) }
            }
        }
    }
}
