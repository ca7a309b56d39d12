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
        .target(name: "Datasets", dependencies: ["ImageIO", "Tensors"]),
        .target(name: "Training", dependencies: ["Models", "NN", "Tensors", "Kernels", "Checkpoints", "Datasets", "ImageIO"],
                swiftSettings: vectorisedSettings),
        .target(name: "Evaluation", dependencies: ["Inference", "Datasets", "ImageIO", "Models", "Tensors", "Training"]),
        .executableTarget(
            name: "CLI",
            dependencies: ["Inference", "WeightImport", "Models", "NN", "Tensors", "Kernels", "Evaluation", "Datasets", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "KernelTests", dependencies: ["Kernels", "Tensors", "NN"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoints", "Tensors"]),
        .testTarget(name: "ModelTests", dependencies: ["Models", "Inference"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DatasetTests", dependencies: ["Datasets", "ImageIO"]),
        .testTarget(name: "ImportTests", dependencies: ["WeightImport", "Inference", "ImageIO", "Models", "NN", "Checkpoints", "Tensors"], resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Models", "NN", "Tensors", "Kernels"]),
        .testTarget(name: "CLITests", dependencies: ["Inference", "Models", "ImageIO", "Checkpoints"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Inference", "Datasets", "ImageIO", "Training"]),
    ]
)
