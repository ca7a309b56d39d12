import ArgumentParser
import Dispatch
import Foundation
import Hummingbird
import Inference
import Kernels
import Logging
import Server
import Tensors

extension ECG {
    /// `ecg serve`: the web app and JSON API.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the web app and the JSON API.",
            discussion: """
                Pages at /, /run; JSON API under /api/v1 (see /openapi.yaml); /health, /ready, /metrics.
                Models load on first use (or at start with --preload) and stay loaded. SIGINT or
                SIGTERM stops the server after the requests in flight. \(researchNotice)
                """)

        @Option(help: "The address to listen on.")
        var host = "0.0.0.0"

        @Option(help: ArgumentHelp("The port to listen on.", discussion: "Defaults to $PORT, else 7860."))
        var port: Int?

        @Option(help: ArgumentHelp(
            "A data folder whose test split (DIR/test/<class>/) supplies the sample gallery.",
            discussion: "Without it, the bundled samples/<class>/ folder is used when there is one.",
            valueName: "dir"))
        var data: String?

        @Flag(help: "Load every installed model before serving instead of on first use.")
        var preload = false

        @Flag(help: ArgumentHelp(
            "Let models with untrained (random) weights classify: for developing the app only.",
            discussion: "Without it such models show as not trained and requests for them get 409 model_not_trained."))
        var allowUntrained = false

        @Option(help: "The largest upload accepted, in MB.")
        var uploadLimitMB = 20

        @Option(help: "The most bytes of uploads held at once, in MB (503 server_busy past it).")
        var bufferLimitMB = RequestBudget().maxBufferedBytes / 1_000_000

        @Option(help: "The most MB per second of refused uploads read and dropped (past it their connections close).")
        var discardMBPerSecond = Double(RequestBudget().maxDiscardedBytesPerSecond) / 1e6

        @Option(help: "The most uploads read or classified at once (503 server_busy past it).")
        var maxUploads = RequestBudget().maxConcurrentUploads

        @Option(help: "The largest image accepted, in megapixels (422 image_too_large past it).")
        var maxMegapixels = Double(RequestBudget().image.maxPixels) / 1e6

        @Option(help: "The most scans a JPEG may have (422 too_many_scans past it).")
        var maxScans = RequestBudget().image.maxScans

        @Option(help: "The most megapixels decoded at once across all models (later images wait).")
        var decodingMegapixels = Double(RequestBudget().maxDecodingPixels) / 1e6

        @Option(help: "Images over this many megapixels are large: classified one at a time, after pages.")
        var largeImageMegapixels = Double(RequestBudget().largeImagePixels) / 1e6

        @Option(help: "The most large images waiting or decoding at once (503 server_busy past it).")
        var maxLargeImages = RequestBudget().maxLargeImages

        @Option(help: "The longest a large image may wait for its decoding to start, in seconds (503 server_busy past it).")
        var largeImageWaitSeconds = RequestBudget().maxLargeImageWaitSeconds

        @Option(help: "The longest a large image's client waits for its answer, decoding included, in seconds (503 server_busy past it).")
        var largeImageSeconds = RequestBudget().maxLargeImageSeconds

        @Option(help: "Requests that may wait for each model before new ones get 503.")
        var queueSize = 16

        @Option(help: "The most images one forward pass classifies together.")
        var maxBatch = 4

        @Option(help: ArgumentHelp("Log level.", discussion: "trace, debug, info, notice, warning, error or critical."))
        var logLevel: String = "info"

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
            if uploadLimitMB < 1 { throw ValidationError("--upload-limit-mb must be at least 1") }
            if queueSize < 1 || maxBatch < 1 { throw ValidationError("--queue-size and --max-batch must be at least 1") }
            if bufferLimitMB < uploadLimitMB { throw ValidationError("--buffer-limit-mb must be at least --upload-limit-mb") }
            if maxUploads < 1 || maxScans < 1 || maxLargeImages < 1 {
                throw ValidationError("--max-uploads, --max-scans and --max-large-images must be at least 1")
            }
            if !(maxMegapixels > 0) || !(decodingMegapixels >= maxMegapixels) {
                throw ValidationError("--max-megapixels must be positive and at most --decoding-megapixels")
            }
            if !(largeImageMegapixels > 0) { throw ValidationError("--large-image-megapixels must be positive") }
            if !(largeImageWaitSeconds > 0) || !(largeImageSeconds > 0) {
                throw ValidationError("--large-image-wait-seconds and --large-image-seconds must be positive")
            }
            if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level \(logLevel)") }
        }

        func run() async throws {
            KernelThreadPool.isEnabled = false  // no spinning workers beside the request threads (ThreadPool.swift)
            let started = DispatchTime.now()
            let logger = {
                var logger = Logger(label: "ecg.serve")
                logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
                return logger
            }()
            let environmentPort = ProcessInfo.processInfo.environment["PORT"].flatMap(Int.init)
            let port = port ?? environmentPort ?? 7860

            var configuration = ServerConfiguration(registry: URL(fileURLWithPath: registryOptions.path))
            configuration.samples = URL(fileURLWithPath: data.map { "\($0)/test" } ?? "samples", isDirectory: true)
            configuration.budget.maxBodyBytes = uploadLimitMB * 1_000_000
            configuration.budget.maxBufferedBytes = bufferLimitMB * 1_000_000
            configuration.budget.maxConcurrentUploads = maxUploads
            configuration.budget.maxDiscardedBytesPerSecond = Int(max(0, discardMBPerSecond) * 1e6)
            configuration.budget.image.maxPixels = Int(maxMegapixels * 1e6)
            configuration.budget.image.maxScans = maxScans
            configuration.budget.maxDecodingPixels = Int(decodingMegapixels * 1e6)
            configuration.budget.largeImagePixels = Int(largeImageMegapixels * 1e6)
            configuration.budget.maxLargeImages = maxLargeImages
            configuration.budget.maxLargeImageWaitSeconds = largeImageWaitSeconds
            configuration.budget.maxLargeImageSeconds = largeImageSeconds
            configuration.queueCapacity = queueSize
            configuration.maxBatch = maxBatch
            configuration.preload = preload
            configuration.allowUntrained = allowUntrained

            let server = try await failingCleanlyAsync { try await makeServer(configuration, logger: logger) }
            let app = buildApplication(server, host: host, port: port, logger: logger) { boundPort in
                let milliseconds = DispatchTime.now().milliseconds(since: started)
                logger.notice("ECGLens serving on http://\(host):\(boundPort) (started in \(Int(milliseconds)) ms)")
            }
            try await serveOnRequestThreads(eventLoops: app.eventLoopGroup) { try await app.runService() }
            server.catalog.stop()
        }
    }
}

/// ``failingCleanly(_:)`` for async work.
func failingCleanlyAsync<R>(_ body: () async throws -> R) async throws -> R {
    do {
        return try await body()
    } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode.failure
    }
}
