// swift-tools-version: 6.0
// Weighs the Prometheus exposition ECGLens wrote by hand (HandWrittenMetrics.swift, a copy of
// it) against the server's ServerMetrics on swift-server/swift-prometheus 2.4.1
// (Sources/Server/ServerMetrics.swift, linked in, not copied) and against apple/swift-metrics
// 2.13.0's API over the same registry, on the server's own series and on issue 17's
// cardinality attack.
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
