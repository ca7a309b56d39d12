// swift-tools-version: 6.0
import PackageDescription

import Foundation

/// The CPU the numeric code is compiled for. `native` (the building machine's, with AVX-512
/// where it has it) unless `ECG_TARGET_CPU` names another LLVM CPU: set `ECG_TARGET_CPU=x86-64`
/// to build a binary that runs on any x86-64 machine (a Docker image built elsewhere, say).
let targetCPU = ProcessInfo.processInfo.environment["ECG_TARGET_CPU"] ?? "native"

/// Numeric code vectorised for the target CPU, and optimised even in debug builds: unoptimised
/// SIMD loops run a hundred times slower, which would make the parity tests take minutes.
let vectorisedSettings: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", targetCPU], .when(platforms: [.linux])),
    .unsafeFlags(["-O"], .when(configuration: .debug)),
]
/// The raw-pointer kernels, whose callers check every shape, also drop bounds checks in release.
let kernelSettings = vectorisedSettings + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "ECGLens",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "ecg", targets: ["CLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libturbojpeg0-dev, libpng-dev).
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(name: "CPNG", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CMalloc"),  // glibc's <malloc.h>, for mallopt
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Layers, lowest first. A target only depends on targets above it in this list.
        .target(
            name: "Kernels",
            dependencies: [.target(name: "COpenBLAS", condition: .when(platforms: [.linux]))],
            swiftSettings: kernelSettings,
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        .target(
            name: "Tensors",
            dependencies: ["Kernels", .target(name: "CMalloc", condition: .when(platforms: [.linux]))],
            swiftSettings: vectorisedSettings
        ),
        .target(name: "NN", dependencies: ["Tensors"], swiftSettings: vectorisedSettings),
        .target(name: "Checkpoints", dependencies: ["Tensors"]),
        .target(name: "Models", dependencies: ["NN", "Checkpoints"]),
        .target(name: "ImageIO", dependencies: ["CTurboJPEG", "CPNG"], swiftSettings: vectorisedSettings),
        .target(name: "WeightImport", dependencies: ["Models", "NN", "Checkpoints", "Tensors", "CZlib"], swiftSettings: vectorisedSettings),
        .target(name: "Inference", dependencies: ["Models", "ImageIO", "WeightImport"]),
        .target(name: "Datasets", dependencies: ["ImageIO", "Tensors"], swiftSettings: vectorisedSettings),
        .target(name: "Training", dependencies: ["Models", "NN", "Tensors", "Kernels", "Checkpoints", "Datasets", "ImageIO"],
                swiftSettings: vectorisedSettings),
        .target(name: "Evaluation", dependencies: ["Inference", "Datasets", "ImageIO", "Models", "Tensors", "Training"]),
        .target(name: "Synth", dependencies: ["ImageIO", "Tensors"], swiftSettings: vectorisedSettings),
        .target(name: "Digitise", dependencies: ["ImageIO"], swiftSettings: vectorisedSettings),
        .target(
            name: "Server",
            dependencies: [
                "Inference", "ImageIO", "Datasets", "Checkpoints", "Models",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "CLI",
            dependencies: ["Inference", "WeightImport", "Models", "NN", "Tensors", "Kernels", "Evaluation", "Datasets", "Synth", "Digitise", "Training", "Server",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")]
        ),

        .testTarget(name: "KernelTests", dependencies: ["Kernels", "Tensors", "NN"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoints", "Tensors"]),
        .testTarget(name: "ModelTests", dependencies: ["Models", "Inference"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ImportTests", dependencies: ["WeightImport", "Inference", "ImageIO", "Models", "NN", "Checkpoints", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "NN", "Tensors", "Kernels"]),
        .testTarget(name: "SynthTests", dependencies: ["Synth", "ImageIO", "Datasets", "Tensors"]),
        .testTarget(name: "DigitiseTests", dependencies: ["Digitise", "Synth", "ImageIO"]),
        .testTarget(name: "DatasetTests", dependencies: ["Datasets", "ImageIO", "Tensors"]),
        .testTarget(name: "CLITests", dependencies: ["Inference", "Models", "ImageIO", "Checkpoints"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Inference", "Datasets", "ImageIO", "Training"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Inference", "ImageIO",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ]
)
