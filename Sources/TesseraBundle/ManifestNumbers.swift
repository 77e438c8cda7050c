import TesseraModels

// The manifest's enum numbers of the model types the bundle stores (formats/bundle.proto):
// written here once, append-only; 0 is "missing" in proto3 and never a value.

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
    /// The manifest's `Pooling`.
    init?(manifestNumber: UInt32) {
        switch manifestNumber {
        case 1: self = .mean
        case 2: self = .cls
        default: return nil
        }
    }

    var manifestNumber: UInt32 { self == .mean ? 1 : 2 }
}
