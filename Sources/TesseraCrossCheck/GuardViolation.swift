import TesseraCore

/// `tessera-crosscheck violate GUARD [FILE]`: breaks one of the guards that protect memory
/// on purpose, so that the tests can see each build (the host's release build, where
/// TesseraCore is -Ounchecked, and the aarch64 Embedded one) stop there with a trap and
/// the guard's message instead of running on.
enum GuardViolation {
    /// Breaks guard `operands[0]`; returns the exit status only when the guard let the program
    /// run on (1), or when the operands name no guard (2).
    static func run(_ operands: [String]) -> Int32 {
        switch operands.first ?? "" {
        case "arena" where operands.count == 1:
            _ = Arena(floats: 16).take(17)
        case "shape" where operands.count == 1:
            // 2^62 x 4 elements: the product wraps round to 0 when unchecked, fitting an empty storage.
            _ = Tensor(dtype: .f32, shape: [1 << 62, 4], storage: Storage(byteCount: 0))
        case "mapped-range" where operands.count == 2:
            // A view one byte past the end of the file.
            guard let file = try? MappedFile(path: operands[1]) else {
                print("tessera-crosscheck: cannot map \(operands[1])")
                return 1
            }
            _ = Storage(file: file, range: 0..<(file.bytes.count + 1))
        default:
            print(CrossCheck.usage)
            return 2
        }
        print("tessera-crosscheck: the \(operands[0]) guard let the program run on")
        return 1
    }
}
