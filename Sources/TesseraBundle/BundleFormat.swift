/// The fixed numbers of the bundle format (formats/bundle.md).
public enum BundleFormat {
    /// `\x89TSB\r\n\x1a\n`: a high-bit byte, CR LF and ^Z catch transfers that mangle bytes or line ends.
    public static let magic: [UInt8] = [0x89, 0x54, 0x53, 0x42, 0x0D, 0x0A, 0x1A, 0x0A]
    /// The versions this code reads; it writes the lowest that holds a bundle
    /// (`BundleManifest.formatVersion`). formats/bundle.md, "Versions", says what each adds.
    public static let versions: ClosedRange<UInt32> = 1...3
    /// Bytes of the fixed header; the manifest follows it.
    public static let headerSize = 64
    /// Every tensor starts at a multiple of this (cache lines, SIMD loads, mapping in place).
    public static let alignment = 64

    static let maxRank = 8
    static let maxNameLength = 256
    static let maxTensors = 100_000
    static let maxOutputs = 64
    static let maxMetrics = 1024
    /// Dilated attention branches of the slide encoder.
    static let maxBranches = 64
    /// A classifier's classes, and its feature layers.
    static let maxClasses = 65_536
    static let maxFeatureLayers = 1024
    /// Every size in a configuration is in 1...maxSize, so products of a few of them cannot overflow.
    static let maxSize = 1 << 20
    static let sha256Length = 32

    /// The first multiple of `alignment` at or after `offset`.
    static func aligned(_ offset: Int) -> Int { (offset + alignment - 1) / alignment * alignment }
}
