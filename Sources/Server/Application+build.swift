import Foundation
import Hummingbird
import Inference
import Logging
import NIOCore

/// The request context of every route: Hummingbird's basic context plus the connection, so
/// that work for a client that has gone can be dropped.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's connection.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Whether the client of the request in `context` has closed its connection since now (always
/// false for contexts without a live connection, such as in-process router tests).
func clientGone(_ context: some RequestContext) -> @Sendable () -> Bool {
    guard let channel = (context as? AppRequestContext)?.channel, channel.isActive else { return { false } }
    return { !channel.isActive }
}

/// The router: pages, the JSON API, operations endpoints, and the middleware around them
/// (request log and metrics, security headers, errors as JSON).
public func buildRouter(_ server: ECGServer) -> Router<AppRequestContext> {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: RequestLogMiddleware(metrics: server.metrics))
    router.add(middleware: SecurityHeadersMiddleware())
    let routes = RouteTable()
    router.add(middleware: ErrorMiddleware(pages: server.pages, routes: routes))
    OperationsController(server: server).addRoutes(to: router)
    PageController(server: server).addRoutes(to: router)
    APIController(server: server).addRoutes(to: router.group("api/v1"))
    routes.record(router)
    return router
}

/// The HTTP/1.1 server for `server`, with `Expect: 100-continue` answered at once, HTTP parse
/// errors answered as JSON, `/health` and `/ready` answered on the event loop
/// (``ProbeHandler``), and a connection whose request was answered before its body arrived
/// closed rather than drained (``UnreadBodyHandler``).
public func buildApplication(
    _ server: ECGServer, host: String, port: Int, logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let limit = server.uploadLimit
    let headerLimit = server.budget.maxHeaderBytes
    let discardRate = server.discardRate
    return Application(
        router: buildRouter(server),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [
                HTTPParseErrorHandler(), ExpectContinueHandler(uploadLimit: limit), ProbeHandler(server: server),
                UnreadBodyHandler(limit: limit, rate: discardRate),
            ], idleTimeout: .seconds(75),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: headerLimit, maxHeaderListSize: headerLimit, maxHeaderFieldCount: 100))),
        configuration: .init(address: .hostname(host, port: port), serverName: "ECGLens"),
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
        logger: logger)
}

/// Builds the server described by `configuration`: reads the registry and the samples, loads
/// the models when asked to.
/// - Throws: `RegistryError` for a bad registry; ``ServerSetupError`` for missing resources.
public func makeServer(_ configuration: ServerConfiguration, logger: Logger) async throws -> ECGServer {
    let registry = try ModelRegistry(contentsOf: configuration.registry)
    let metrics = ServerMetrics()
    let budget = configuration.budget
    let catalog = ModelCatalog(
        registry: registry, capacity: configuration.queueCapacity, maxBatch: configuration.maxBatch, limits: budget.image,
        pixelBudget: PixelBudget(budget), metrics: metrics)
    for entry in registry.entries {
        if let note = entry.precisionFallbackNote {
            logger.warning("model runs in fp32", metadata: ["model": "\(entry.key)", "reason": "\(note)"])
        }
    }
    var gallery = SampleGallery()
    if let samples = configuration.samples {
        do {
            gallery = try SampleGallery(directory: samples)
        } catch {
            logger.warning("no sample gallery", metadata: ["reason": "\(error)"])
        }
    }
    if configuration.preload {
        for (key, error) in catalog.preloadAll() {
            logger.warning("model not loaded", metadata: ["model": "\(key)", "reason": "\(error)"])
        }
    }
    return try await ECGServer(
        catalog: catalog, gallery: gallery, metrics: metrics, budget: budget,
        allowUntrained: configuration.allowUntrained)
}
