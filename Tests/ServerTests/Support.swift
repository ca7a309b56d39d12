import Foundation
import Hummingbird
import HummingbirdTesting
import ImageIO
import Inference
import Server

/// The repository root: this file is `<root>/Tests/ServerTests/Support.swift`.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let ecgClasses = ["Abnormal_Heartbeat", "History_Myocardial_Infarction", "Myocardial_Infarction", "Normal"]

/// A temporary folder with a registry (`small_cnn` with untrained weights, the default, which
/// the fixture's server allows unless told otherwise;
/// `missing` without weights; `broken` with a corrupt weights file) and a sample folder with one
/// PNG per class. Deleted when the value is released by `withFixture`.
struct Fixture {
    let directory: URL
    let registryURL: URL
    let samplesURL: URL
    let registry: ModelRegistry

    /// A `width x height` PNG drawn like a 12-lead ECG page, so that it passes the page check: a
    /// header band of dark "text" bars, a pink grid box below it and four rows of spiky black
    /// trace whose shape `phase` varies (so pages of different phases differ).
    static func png(width: Int = 240, height: Int = 170, phase: Int = 0) -> [UInt8] {
        Array(try! ImageEncoder.png(ecgLikePage(width: width, height: height, phase: phase)))
    }

    /// The page ``png(width:height:phase:)`` encodes.
    static func ecgLikePage(width: Int, height: Int, phase: Int = 0) -> RGBImage {
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        func paint(_ x: Int, _ y: Int, _ colour: (UInt8, UInt8, UInt8)) {
            guard (0..<width).contains(x), (0..<height).contains(y) else { return }
            let offset = (y * width + x) * 3
            (pixels[offset], pixels[offset + 1], pixels[offset + 2]) = colour
        }
        let (top, bottom, left, right) = (height / 5, height * 24 / 25, width * 3 / 100, width * 97 / 100)
        // Header: three lines of word-like bars.
        for line in 0..<3 {
            let y0 = height / 30 + line * height / 18
            var x = left
            while x < right - 10 {
                let word = 4 + (x * 7 + line * 13 + phase) % 12
                for y in y0..<(y0 + max(2, height / 60)) { for dx in 0..<word { paint(x + dx, y, (30, 30, 30)) } }
                x += word + 5
            }
        }
        // The grid: pink lines every `step` pixels inside the box.
        let step = max(10, width / 55)
        for y in top...bottom { for x in stride(from: left, through: right, by: step) { paint(x, y, (240, 170, 180)) } }
        for x in left...right { for y in stride(from: top, through: bottom, by: step) { paint(x, y, (240, 170, 180)) } }
        // Four rows of trace: a baseline with a spike every `beat` pixels.
        let rowHeight = (bottom - top) / 4, beat = max(12, width / 12)
        for row in 0..<4 {
            let base = top + rowHeight * row + rowHeight / 2
            var previous = base
            for x in left...right {
                let t = (x + phase * 3 + row * 17) % beat
                let y = t == beat / 2 ? base - rowHeight * 2 / 5 : (t == beat / 2 + 1 ? base + rowHeight / 6 : base)
                for yy in min(previous, y)...max(previous, y) { paint(x, yy, (0, 0, 0)) }
                paint(x, base + 1, (0, 0, 0))
                previous = y
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    init(defaultModel: String = "small_cnn") throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ServerTests-\(UUID().uuidString)", isDirectory: true)
        samplesURL = directory.appendingPathComponent("samples", isDirectory: true)
        for (index, name) in ecgClasses.enumerated() {
            let folder = samplesURL.appendingPathComponent(name, isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(Self.png(phase: 40 * index)).write(to: folder.appendingPathComponent("page-\(index).png"))
        }
        registryURL = directory.appendingPathComponent("models.json")
        try Data("""
            {"default": "\(defaultModel)", "models": [
              {"key": "small_cnn", "name": "Small CNN", "architecture": "small_cnn", "weights": "weights/small_cnn.safetensors"},
              {"key": "missing", "architecture": "small_cnn", "weights": "weights/missing.safetensors"},
              {"key": "broken", "architecture": "small_cnn", "weights": "weights/broken.safetensors"}
            ]}
            """.utf8).write(to: registryURL)
        registry = try ModelRegistry(contentsOf: registryURL)
        try registry.writeRandomWeights(for: registry.entry("small_cnn"), seed: 7)
        try Data("not a safetensors file".utf8).write(to: registry.weightsURL(registry.entry("broken")))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server over this fixture, with `budget` (or the default budget with `uploadLimit` and
    /// `maxPixels`) and a shared pixel budget as `ecg serve` makes.
    func server(
        uploadLimit: Int = 2_000_000, maxPixels: Int = ImageDecoder.defaultMaxPixels, capacity: Int = 16, maxBatch: Int = 4,
        budget: RequestBudget? = nil, allowUntrained: Bool = true, registry: ModelRegistry? = nil,
        load: (@Sendable (ModelEntry, ModelRegistry) throws -> any BatchClassifying)? = nil
    ) async throws -> ECGServer {
        let budget = budget ?? {
            var budget = RequestBudget()
            budget.maxBodyBytes = uploadLimit
            budget.image.maxPixels = maxPixels
            return budget
        }()
        let metrics = ServerMetrics()
        let catalog = ModelCatalog(
            registry: registry ?? self.registry, capacity: capacity, maxBatch: maxBatch, limits: budget.image,
            pixelBudget: PixelBudget(capacity: max(budget.maxDecodingPixels, budget.image.maxPixels)), metrics: metrics, load: load)
        return try await ECGServer(
            catalog: catalog, gallery: SampleGallery(directory: samplesURL), metrics: metrics, budget: budget,
            allowUntrained: allowUntrained)
    }
}

/// Runs `body` with a fresh fixture, removed afterwards.
func withFixture<R>(defaultModel: String = "small_cnn", _ body: (Fixture) async throws -> R) async throws -> R {
    let fixture = try Fixture(defaultModel: defaultModel)
    defer { fixture.remove() }
    return try await body(fixture)
}

/// Runs `body` against the router of `server` in process.
func withRouter(_ server: ECGServer, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
    let app = Application(router: buildRouter(server))
    try await app.test(.router, body)
    server.catalog.stop()
}

// MARK: - Request bodies

/// A `multipart/form-data` body and its content type.
struct Multipart {
    static let boundary = "ecglens-test-boundary-7MA4YWxk"
    var body: [UInt8] = []

    mutating func field(_ name: String, _ value: String) {
        body += Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
    }

    mutating func file(_ name: String, filename: String = "ecg.png", contentType: String = "image/png", _ bytes: [UInt8]) {
        body += Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8)
        body += bytes + Array("\r\n".utf8)
    }

    var finished: ByteBuffer { ByteBuffer(bytes: body + Array("--\(Self.boundary)--\r\n".utf8)) }
    static let contentType = "multipart/form-data; boundary=\(boundary)"

    /// A form with the given text fields and optional image.
    static func form(model: String? = nil, sample: String? = nil, image: [UInt8]? = nil,
                     imageType: String = "image/png", gate: String? = nil) -> ByteBuffer {
        var form = Multipart()
        if let model { form.field("model", model) }
        if let gate { form.field("gate", gate) }
        if let sample { form.field("sample", sample) }
        if let image { form.file("image", contentType: imageType, image) }
        return form.finished
    }
}

extension TestClientProtocol {
    /// POSTs a multipart form to `uri`.
    func post(_ uri: String, form: ByteBuffer, headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = headers[.contentType] ?? Multipart.contentType
        return try await execute(uri: uri, method: .post, headers: headers, body: form)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body parsed as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }
}
