// swift-tools-version:6.0
// Tessera: Prov-GigaPath teacher and students in Swift, on the CPU.
// Layout and house rules: see README.md ("Code map").
import PackageDescription

/// The numeric targets drop bounds checks in release builds; the parsers of
/// untrusted files (TesseraFormats), the models and the CLI keep them.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

/// The C kernels are optimised in every configuration (debug tests run them on
/// full-size shapes), and no multiply-add may be fused: every path must round
/// exactly as the scalar one does.
let kernelFlags: [CSetting] = [.unsafeFlags(["-O3", "-ffp-contract=off"])]

let package = Package(
    name: "Tessera",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "tessera", targets: ["tessera"]),
        .library(name: "TesseraModels", targets: ["TesseraModels"]),
        .library(name: "TesseraTrain", targets: ["TesseraTrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CSystemLibs/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CSystemLibs/CZstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CSystemLibs/CPNG",
                       providers: [.apt(["libpng-dev"])]),

        .target(name: "CTesseraKernels", cSettings: kernelFlags),
        .target(name: "TesseraCore", dependencies: ["CBLAS"], swiftSettings: fast),
        .target(name: "TesseraModels", dependencies: ["TesseraCore", "CPNG"]),
        .target(name: "TesseraFormats", dependencies: ["TesseraCore", "TesseraModels"]),
        .target(name: "TesseraPipeline", dependencies: ["TesseraCore", "TesseraModels", "TesseraFormats"]),
        .target(name: "TesseraTrain", dependencies: ["TesseraCore", "TesseraFormats", "TesseraModels"],
                swiftSettings: fast),
        .target(name: "TesseraDistill", dependencies: ["TesseraCore", "TesseraModels", "TesseraFormats", "TesseraPipeline", "TesseraTrain", "CZstd"],
                swiftSettings: fast),
        .target(name: "TesseraBench", dependencies: ["TesseraCore", "TesseraModels"]),
        .executableTarget(name: "tessera-train-bench", dependencies: ["TesseraCore", "TesseraModels", "TesseraTrain", "TesseraBench"],
                          path: "Sources/TesseraTrainBench", swiftSettings: fast),
        .executableTarget(name: "tessera", dependencies: [
            "TesseraCore", "TesseraFormats", "TesseraModels", "TesseraPipeline", "TesseraBench", "TesseraDistill",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", dependencies: ["TesseraCore", "TesseraFormats"], path: "Tests/TestSupport"),
        .testTarget(name: "TesseraCoreTests", dependencies: ["TesseraCore", "TestSupport"]),
        .testTarget(name: "TesseraKernelsTests", dependencies: ["CTesseraKernels"]),
        .testTarget(name: "TesseraFormatsTests", dependencies: ["TesseraFormats", "TestSupport"]),
        .testTarget(name: "TesseraModelsTests", dependencies: ["TesseraModels", "TesseraFormats", "TesseraPipeline", "TestSupport"]),
        .testTarget(name: "TesseraTrainTests", dependencies: ["TesseraTrain", "TestSupport"]),
        .testTarget(name: "TesseraDistillTests", dependencies: ["TesseraDistill", "TestSupport"]),
        .testTarget(name: "TesseraCLITests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
