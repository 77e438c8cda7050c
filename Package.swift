// swift-tools-version:6.0
// Tessera: Prov-GigaPath teacher and students in Swift, on the CPU.
// Layout and house rules: see README.md ("Code map").
import PackageDescription

/// The numeric targets drop bounds checks in release builds; the parsers of
/// untrusted files (TesseraFormats), the models and the CLI keep them.
let fast: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

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
        // The C library for the embeddable modules (no Glibc/Darwin/Dispatch there).
        .systemLibrary(name: "CPosix", path: "Sources/CSystemLibs/CPosix"),
        .systemLibrary(name: "CBLAS", path: "Sources/CSystemLibs/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CSystemLibs/CZstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CSystemLibs/CPNG",
                       providers: [.apt(["libpng-dev"])]),

        .target(name: "TesseraCore", dependencies: ["CPosix", "CBLAS"], swiftSettings: fast),
        .target(name: "TesseraFormats", dependencies: ["TesseraCore"]),
        .target(name: "TesseraImage", dependencies: ["CPosix", "CPNG", "TesseraCore"]),
        .target(name: "TesseraModels", dependencies: ["TesseraCore", "TesseraFormats", "TesseraImage"]),
        .target(name: "TesseraTrain", dependencies: ["TesseraCore", "TesseraFormats", "TesseraModels"],
                swiftSettings: fast),
        .executableTarget(name: "tessera-train-bench", dependencies: ["TesseraCore", "TesseraModels", "TesseraTrain"],
                          path: "Sources/TesseraTrainBench", swiftSettings: fast),
        // The same program as scripts/build-aarch64 cross-compiles with Embedded Swift.
        .executableTarget(name: "tessera-crosscheck", dependencies: ["CPosix", "TesseraCore", "TesseraImage"],
                          path: "Sources/TesseraCrossCheck"),
        .executableTarget(name: "tessera", dependencies: [
            "TesseraCore", "TesseraFormats", "TesseraImage", "TesseraModels",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .target(name: "TestSupport", dependencies: ["TesseraCore", "TesseraFormats"], path: "Tests/TestSupport"),
        .testTarget(name: "TesseraCoreTests", dependencies: ["TesseraCore", "TestSupport"]),
        .testTarget(name: "TesseraFormatsTests", dependencies: ["TesseraFormats", "TestSupport"]),
        .testTarget(name: "TesseraImageTests", dependencies: ["TesseraImage", "TestSupport"]),
        .testTarget(name: "TesseraModelsTests", dependencies: ["TesseraModels", "TestSupport"]),
        .testTarget(name: "TesseraTrainTests", dependencies: ["TesseraTrain", "TestSupport"]),
        .testTarget(name: "TesseraCLITests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
