// swift-tools-version: 6.0
// Weighs ECGLens's multipart splitter (Sources/Server/MultipartForm.swift, linked in, not
// copied) against vapor/multipart-kit's streaming parser on normal and hostile bodies (issue 17).
//   cd tools/bench/multipart && swift run -c release
import PackageDescription

let package = Package(
    name: "MultipartBench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "https://github.com/vapor/multipart-kit", exact: "4.7.1")],
    targets: [
        .executableTarget(name: "MultipartBench", dependencies: [.product(name: "MultipartKit", package: "multipart-kit")]),
    ]
)
