import Foundation
import ImageIO

/// The repository root: this file is `<root>/Tests/CLITests/Support.swift`.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A committed sample page: a synthetic 12-lead ECG report PNG written by `ecg synth`.
let samplePage = repositoryRoot.appendingPathComponent("samples/Normal/synthetic-1.png")

/// The four ECG classes, in the order every registry model outputs them.
let ecgClasses = ["Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction", "Normal"]

/// Runs `body` with a fresh directory under the temporary directory, deleted afterwards.
func withTemporaryDirectory<R>(_ body: (URL) throws -> R) throws -> R {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("CLITests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Writes `text` to `name` inside `directory` and returns its URL.
@discardableResult
func write(_ text: String, to name: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
    return url
}

/// A registry file holding one small CNN entry (key `small_cnn`) with relative weights, plus
/// `extraEntries` (JSON objects, comma-separated).
func smallCNNRegistry(in directory: URL, extraEntries: String = "") throws -> URL {
    let extra = extraEntries.isEmpty ? "" : ", \(extraEntries)"
    return try write("""
        {"models": [{"key": "small_cnn", "architecture": "small_cnn", "weights": "weights/small_cnn.safetensors"}\(extra)]}
        """, to: "models.json", in: directory)
}

/// A `width x height` image whose red rises left to right, green top to bottom, blue diagonally.
func gradientImage(width: Int, height: Int, phase: Int = 0) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            let offset = (y * width + x) * 3
            pixels[offset] = UInt8((x * 255 / max(width - 1, 1) + phase) % 256)
            pixels[offset + 1] = UInt8((y * 255 / max(height - 1, 1) + 2 * phase) % 256)
            pixels[offset + 2] = UInt8(((x + y) * 255 / max(width + height - 2, 1) + 3 * phase) % 256)
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

/// Writes `directory/data/<class>/<n>.png`, `perClass` distinct 96 x 64 gradient PNGs per class,
/// and returns the `data` folder: a small labelled data set for `ecg evaluate` and `ecg calibrate`.
func writeGradientDataSet(in directory: URL, perClass: Int) throws -> URL {
    let data = directory.appendingPathComponent("data")
    for (label, name) in ecgClasses.enumerated() {
        let folder = data.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for index in 0..<perClass {
            let image = gradientImage(width: 96, height: 64, phase: 40 * label + 13 * index)
            try ImageEncoder.png(image).write(to: folder.appendingPathComponent("\(index).png"))
        }
    }
    return data
}

// MARK: - Running the `ecg` executable

/// The `ecg` executable built next to the test binary, or nil when only the test products were
/// built (`swift build --build-tests` builds it; plain `swift test` may not).
let ecgExecutable: URL? = {
    var directories: [URL] = []
    if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
    directories.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
    // macOS: the tests are an .xctest bundle in the products folder, loaded by a helper.
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        directories.append(bundle.bundleURL.deletingLastPathComponent())
    }
    return directories.map { $0.appendingPathComponent("ecg") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

/// What a finished `ecg` process did.
struct ECGRun {
    let status: Int32
    /// False when the process died of a signal (a crash) rather than exiting.
    let exited: Bool
    let stdout: String
    let stderr: String

    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    var stderrLines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// Runs `ecg` with `arguments` and waits for it. Output goes through files, so that a chatty
/// process cannot fill a pipe and block.
func runECG(_ arguments: [String], environment: [String: String] = [:]) throws -> ECGRun {
    guard let executable = ecgExecutable else { throw CocoaError(.fileNoSuchFile) }
    return try withTemporaryDirectory { directory in
        let outURL = directory.appendingPathComponent("stdout"), errURL = directory.appendingPathComponent("stderr")
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.currentDirectoryURL = repositoryRoot
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        return ECGRun(
            status: process.terminationStatus, exited: process.terminationReason == .exit,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
