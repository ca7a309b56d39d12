import Dispatch
import Hummingbird

/// The web pages: home, run a model, the form's result, sample images and static files.
///
/// Everything works without JavaScript through an ordinary form post to `/predict`; the page's
/// script posts the same form with `?fragment=1` and puts the returned result in place.
struct PageController<Context: RequestContext> {
    let server: ECGServer

    func addRoutes(to router: Router<Context>) {
        router.get("/") { _, _ in home() }
        router.get("/run") { _, _ in run(result: nil, error: nil, model: nil) }
        router.post("/predict") { request, _ in try await predict(request) }
        router.get("/samples/{id}") { _, context in
            let (sample, bytes) = try server.gallery.sample(context.parameters.require("id"))
            return Response(
                status: .ok, headers: [.contentType: sample.contentType, .cacheControl: "public, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/static/{file}") { _, context in try server.assets.response(context.parameters.require("file")) }
        router.get("/openapi.yaml") { _, _ in try server.assets.response("openapi.yaml") }
        addExtraRoutes(to: router)
    }

    private func home() -> Response {
        let models = server.catalog.descriptions()
        let example = server.gallery.samples.first
        let view = HomeView(
            exampleImage: example?.url ?? "/static/example-ecg.png",
            exampleCaption: example.map { exampleCaption($0) }
                ?? "A synthetic 12-lead ECG page drawn by ECGLens: not patient data.",
            conditions: (models.first?.classes ?? Array(Conditions.labels.keys).sorted()).map {
                HomeView.Condition(label: Conditions.label($0), explanation: Conditions.explanations[$0] ?? "")
            },
            models: models.map { ModelCardView($0, selectable: server.canServe($0), checked: false) })
        return server.pages.render("home", view)
    }

    /// Says where the home page's example comes from: the bundled samples are synthetic pages
    /// ECGLens draws; a data folder's test split holds real pages.
    private func exampleCaption(_ sample: SampleGallery.Sample) -> String {
        let label = Conditions.label(sample.label)
        return server.gallery.directory?.lastPathComponent == "test"
            ? "A page of class \(label) from the test split of the Khan et al. 2021 data set."
            : "A synthetic page of class \(label), drawn by ECGLens: not patient data."
    }

    /// The run page, with a result or an error when a form post produced one.
    private func run(result: Predictor.Result?, error: APIError?, model: String?) -> Response {
        let models = server.catalog.descriptions()
        let selected = models.first { $0.key == model && server.canServe($0) }?.key
            ?? models.first { $0.isDefault && server.canServe($0) }?.key
            ?? models.first { server.canServe($0) }?.key
        let view = RunView(
            models: models.map { ModelCardView($0, selectable: server.canServe($0), checked: $0.key == selected) },
            samples: server.gallery.samples.map { .init(id: $0.id, label: Conditions.label($0.label), url: $0.url) },
            hasSamples: !server.gallery.samples.isEmpty,
            samplesSource: server.gallery.directory?.lastPathComponent == "test"
                ? "the test split of the data folder" : "the synthetic pages bundled with ECGLens (not patient data)",
            uploadLimitMB: server.uploadLimit / 1_000_000,
            result: result.map(ResultView.init), error: error.map { ErrorView($0, message: Self.pageMessage($0)) })
        var response = server.pages.render("run", view, status: error?.status ?? .ok)
        if let retryAfter = error?.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// The form post: the run page with the result (or the error), or with `?fragment=1` just
    /// the result (or error) block, for the page's script.
    private func predict(_ request: Request) async throws -> Response {
        let started = DispatchTime.now()
        let fragment = request.uri.queryParameters["fragment"] != nil
        var model: String?
        do {
            var form = try await PredictForm.read(request, server: server, preferSample: true)
            form.overlay = true  // the result shows the traces read over the page when it measures
            model = form.model
            let result = try await server.predictor.predict(form, started: started, keepPreview: true)
            return fragment ? server.pages.render("result", ResultView(result)) : run(result: result, error: nil, model: model)
        } catch {
            let apiError = APIError(error)
            guard fragment else { return run(result: nil, error: apiError, model: model) }
            var response = server.pages.render("error", ErrorView(apiError, message: Self.pageMessage(apiError)), status: apiError.status)
            if let retryAfter = apiError.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
    }
}
