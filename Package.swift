// swift-tools-version: 6.0
import PackageDescription

/// Fast, bounds-unchecked code for the numeric kernels in release builds only.
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

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

        // Layers, lowest first. A target only depends on targets above it in this list.
        .target(
            name: "Kernels",
            dependencies: [.target(name: "COpenBLAS", condition: .when(platforms: [.linux]))],
            swiftSettings: kernelSettings,
            linkerSettings: [.linkedFramework("Accelerate", .when(platforms: [.macOS]))]
        ),
        .target(name: "Tensors", dependencies: ["Kernels"], swiftSettings: kernelSettings),
        .target(name: "NN", dependencies: ["Tensors"], swiftSettings: kernelSettings),
        .target(name: "Checkpoints", dependencies: ["Tensors"]),
        .target(name: "Models", dependencies: ["NN", "Checkpoints"]),
        .target(name: "ImageIO", dependencies: ["CTurboJPEG", "CPNG"], swiftSettings: kernelSettings),
        .target(name: "Inference", dependencies: ["Models", "ImageIO"]),
        .executableTarget(
            name: "CLI",
            dependencies: ["Inference", "Models", "NN", "Tensors", "Kernels", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        .testTarget(name: "KernelTests", dependencies: ["Kernels", "Tensors", "NN"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoints"]),
        .testTarget(name: "ModelTests", dependencies: ["Models", "Inference"], resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["Inference"]),
    ]
)
