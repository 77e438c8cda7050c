import TesseraCore
import TesseraModels

// The manifest's enum numbers of the model types the bundle stores (formats/bundle.proto):
// written here once, append-only; 0 is "missing" in proto3 and never a value.

extension DType {
    /// The manifest's `DType`, for the element types a bundle stores (f32, f16, bf16, int8 with
    /// its f32 scales beside it); the others have none.
    init?(manifestNumber: UInt32) {
        switch manifestNumber {
        case 1: self = .f32
        case 2: self = .f16
        case 3: self = .bf16
        case 4: self = .i8
        default: return nil
        }
    }

    /// 0 ("missing", refused by every reader) for a type a bundle does not store.
    var manifestNumber: UInt32 {
        switch self {
        case .f32: return 1
        case .f16: return 2
        case .bf16: return 3
        case .i8: return 4
        default: return 0
        }
    }
}

extension VisionTransformer.MlpKind {
    /// The manifest's `MlpKind`.
    init?(manifestNumber: UInt32) {
        switch manifestNumber {
        case 1: self = .gelu
        case 2: self = .swiGLUPacked
        default: return nil
        }
    }

    var manifestNumber: UInt32 { self == .gelu ? 1 : 2 }
}

extension SlidePool {
    /// The manifest's `Pooling` (the slide encoder's `slide_embed` and the classifier's layers alike).
    init?(manifestNumber: UInt32) {
        switch manifestNumber {
        case 1: self = .mean
        case 2: self = .cls
        default: return nil
        }
    }

    var manifestNumber: UInt32 { self == .mean ? 1 : 2 }
}

extension SlideClassifier.Setting {
    /// The manifest's `ClassifierSetting`.
    init?(manifestNumber: UInt32) {
        switch manifestNumber {
        case 1: self = .multiClass
        case 2: self = .binary
        case 3: self = .multiLabel
        default: return nil
        }
    }

    var manifestNumber: UInt32 {
        switch self {
        case .multiClass: return 1
        case .binary: return 2
        case .multiLabel: return 3
        }
    }
}
