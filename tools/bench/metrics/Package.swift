// swift-tools-version: 6.0
// Weighs ECGLens's Prometheus exposition (Sources/Server/ServerMetrics.swift, linked in, not
// copied) against swift-server/swift-prometheus 2.4.1, used directly and through
// apple/swift-metrics 2.13.0, on the server's own series and on issue 17's cardinality attack.
//   cd tools/bench/metrics && swift run -c release
import PackageDescription

let package = Package(
    name: "MetricsBench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "MetricsBench",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ]
)
