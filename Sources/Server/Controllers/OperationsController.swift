import Hummingbird

/// Liveness, readiness and metrics, for load balancers, orchestrators and Prometheus.
struct OperationsController<Context: RequestContext> {
    let server: ECGServer

    func addRoutes(to router: Router<Context>) {
        // A live server answers these two in `ProbeHandler`, on the event loop, before the
        // router; the routes serve in-process tests and list the paths for the error middleware.
        router.get("/health") { _, _ in response(.health) }
        router.get("/ready") { _, _ in response(.readiness(server)) }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: server.metrics.render())))
        }
    }

    private func response(_ answer: ProbeAnswer) -> Response {
        Response(
            status: answer.status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
