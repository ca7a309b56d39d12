import Hummingbird

/// Liveness, readiness and metrics, for load balancers, orchestrators and Prometheus.
struct OperationsController<Context: RequestContext> {
    let server: ECGServer

    struct Health: ResponseEncodable {
        let status: String
    }

    struct Readiness: Encodable {
        struct Model: Codable {
            let key: String
            let status: ModelDescription.State
            let reason: String?
        }

        let ready: Bool
        let defaultModel: String
        let models: [Model]
        enum CodingKeys: String, CodingKey { case ready, models, defaultModel = "default" }
    }

    func addRoutes(to router: Router<Context>) {
        // Liveness: answered on the event loop without touching the models, so it stays fast
        // while they work.
        router.get("/health") { _, _ in Health(status: "ok") }
        router.get("/ready") { _, _ in readiness() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: server.metrics.render())))
        }
    }

    /// 200 when the default model's weights are there, usable and trained (or untrained ones are
    /// allowed), else 503; lists every model.
    private func readiness() -> Response {
        let models = server.catalog.descriptions()
        let defaultKey = server.catalog.registry.defaultKey
        let ready = models.contains { $0.key == defaultKey && server.canServe($0) }
        let body = Readiness(
            ready: ready, defaultModel: defaultKey,
            models: models.map { .init(key: $0.key, status: $0.status, reason: $0.reason) })
        return jsonResponse(body, status: ready ? .ok : .serviceUnavailable)
    }
}
