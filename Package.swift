// swift-tools-version: 6.0
import PackageDescription

import Foundation

/// The CPU the Swift numeric code is compiled for: `ECG_TARGET_CPU` when set (any LLVM CPU name:
/// `native`, `x86-64`, `skylake-avx512`...), else `haswell` on x86-64 (AVX2 + FMA, the x86-64-v3 level, a name this
/// Swift does not accept: every Intel
/// CPU since Haswell, 2013, and every AMD Zen) and the compiler's default elsewhere.
/// The GEMM micro-kernels do not depend on it: they are C (CKernels), compiled for the baseline
/// with per-function target attributes for AVX2 and AVX-512, and picked at run time by cpuid
/// (`KernelSet`), so one binary uses AVX-512 where the CPU has it and still runs where it does not.
/// Set `ECG_TARGET_CPU=x86-64` for a binary that also runs on CPUs without AVX2 (the GEMM then
/// still dispatches; only the Swift loops around it lose AVX).
#if arch(x86_64)
let targetCPU: String? = ProcessInfo.processInfo.environment["ECG_TARGET_CPU"] ?? "haswell"
#else
let targetCPU: String? = ProcessInfo.processInfo.environment["ECG_TARGET_CPU"]
#endif

/// Numeric code vectorised for the target CPU, and optimised even in debug builds: unoptimised
/// SIMD loops run a hundred times slower, which would make the parity tests take minutes.
let vectorisedSettings: [SwiftSetting] = (targetCPU.map { [.unsafeFlags(["-target-cpu", $0], .when(platforms: [.linux]))] } ?? [])
    + [.unsafeFlags(["-O"], .when(configuration: .debug))]
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
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libturbojpeg0-dev, libpng-dev).
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"]), .brew(["jpeg-turbo"])]),
        .systemLibrary(name: "CPNG", providers: [.apt(["libpng-dev"]), .brew(["libpng"])]),
        .systemLibrary(name: "CMalloc"),  // glibc's <malloc.h>, for mallopt
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Layers, lowest first. A target only depends on targets above it in this list, and its
        // dependencies are exactly the modules its sources import (checked by the ModuleBoundaryTests
        // and by `--explicit-target-dependency-import-check error` in scripts/test.sh).
        .target(name: "Determinism"),  // SplitMix64 and FNV-1a: the same numbers on every platform
        // The GEMM micro-kernels, one set per instruction-set level, and cpuid (see KernelSet).
        // Optimised in debug builds too, for the same reason as `vectorisedSettings`.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(
            name: "Kernels",
            dependencies: ["CKernels", .target(name: "COpenBLAS", condition: .when(platforms: [.linux]))],
            swiftSettings: kernelSettings,
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        .target(
            name: "Tensors",
            dependencies: ["Kernels", .target(name: "CMalloc", condition: .when(platforms: [.linux]))],
            swiftSettings: vectorisedSettings
        ),
        .target(name: "NN", dependencies: ["Determinism", "Kernels", "Tensors"], swiftSettings: vectorisedSettings),
        .target(name: "Checkpoints", dependencies: ["Tensors"]),
        .target(name: "ImageIO", dependencies: ["CTurboJPEG", "CPNG"], swiftSettings: vectorisedSettings),
        .target(name: "Models", dependencies: ["Kernels", "Tensors", "NN", "Checkpoints", "ImageIO"]),
        .target(name: "WeightImport", dependencies: ["Tensors", "NN", "Checkpoints", "Models", "ImageIO", "CZlib"], swiftSettings: vectorisedSettings),
        .target(name: "ReportFormat"),  // the printed report page's geometry, which Synth draws and Digitise reads
        .target(name: "Digitise", dependencies: ["ImageIO", "ReportFormat"], swiftSettings: vectorisedSettings),
        .target(name: "Inference", dependencies: ["Determinism", "Kernels", "Tensors", "NN", "Checkpoints", "Models", "ImageIO", "WeightImport",
                                                 "ReportFormat", "Digitise"],
                swiftSettings: vectorisedSettings),
        .target(name: "Datasets", dependencies: ["Determinism", "Tensors", "ImageIO"], swiftSettings: vectorisedSettings),
        .target(name: "Training", dependencies: ["Determinism", "Kernels", "Tensors", "NN", "Checkpoints", "Models", "ImageIO", "Datasets"],
                swiftSettings: vectorisedSettings),
        .target(name: "Explain", dependencies: ["Checkpoints", "Tensors", "Models", "ImageIO", "Inference", "Training"],
                swiftSettings: vectorisedSettings),
        .target(name: "Evaluation", dependencies: ["Determinism", "ImageIO", "Inference", "Datasets", "Training"]),
        .target(name: "Synth", dependencies: ["Determinism", "ImageIO", "ReportFormat"], swiftSettings: vectorisedSettings),
        .target(
            name: "Server",
            dependencies: [
                "Checkpoints", "Models", "ImageIO", "Inference", "Datasets", "Digitise", "Explain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),  // HTTPParserError, for JSON answers to bad HTTP
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),  // ServerMetrics's registry and exposition
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "CLI",
            dependencies: ["Determinism", "Kernels", "Tensors", "NN", "Checkpoints", "Models", "ImageIO", "WeightImport",
                           "Inference", "Datasets", "Training", "Explain", "Evaluation", "Synth", "Digitise", "Server",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Logging", package: "swift-log")]
        ),

        // The reference scripts' formula weights and inputs (tools/reference), for the golden-file tests only.
        .target(name: "GoldenSupport", dependencies: ["Tensors", "NN"], path: "Tests/GoldenSupport"),
        .testTarget(name: "KernelTests", dependencies: ["CKernels", "Determinism", "Kernels", "Tensors", "NN"]),
        .testTarget(name: "ImageIOTests", dependencies: ["Determinism", "ImageIO", "CTurboJPEG"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointTests", dependencies: ["Determinism", "Tensors", "Checkpoints"]),
        .testTarget(name: "ModelTests", dependencies: ["Determinism", "Kernels", "Tensors", "NN", "ImageIO", "Models", "Inference", "GoldenSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImportTests", dependencies: ["Determinism", "Tensors", "NN", "ImageIO", "Models", "WeightImport", "Inference"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "TrainingTests", dependencies: ["Determinism", "Kernels", "Tensors", "NN", "Checkpoints", "Models", "ImageIO",
                                                         "Datasets", "Training", "GoldenSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SynthTests", dependencies: ["Determinism", "ImageIO", "Datasets", "ReportFormat", "Synth"]),
        .testTarget(name: "DigitiseTests", dependencies: ["Digitise", "Synth", "ImageIO", "ReportFormat"]),
        .testTarget(name: "DatasetTests", dependencies: ["Determinism", "Tensors", "ImageIO", "Datasets"]),
        .testTarget(name: "CLITests", dependencies: ["Checkpoints", "Models", "ImageIO", "Inference"]),
        .testTarget(name: "ExplainTests", dependencies: ["Determinism", "Tensors", "NN", "Models", "ImageIO", "Inference",
                                                        "Training", "Explain"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Determinism", "ImageIO", "Inference", "Datasets", "Training", "Evaluation"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Determinism", "Checkpoints", "Tensors", "ImageIO", "Inference", "Synth", "Server",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
