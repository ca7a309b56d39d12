import Dispatch
import Hummingbird
import Inference

/// The JSON API under `/api/v1` (described in `openapi.yaml`).
struct APIController<Context: RequestContext> {
    let server: ECGServer

    struct ModelList: ResponseEncodable {
        let models: [ModelDescription]
        let defaultModel: String
        enum CodingKeys: String, CodingKey { case models, defaultModel = "default" }
    }

    struct SampleList: ResponseEncodable {
        let samples: [SampleGallery.Sample]
    }

    func addRoutes(to group: RouterGroup<Context>) {
        group.get("models") { _, _ in
            ModelList(models: server.catalog.descriptions(), defaultModel: server.catalog.registry.defaultKey)
        }
        group.get("samples") { _, _ in SampleList(samples: server.gallery.samples) }
        group.post("predict") { request, context -> PredictionAnswer in
            let started = DispatchTime.now()
            let form = try await PredictForm.read(request, server: server, preferSample: false)
            return try await server.predictor.predict(
                form, started: started, keepPreview: false, isAbandoned: clientGone(context)).response
        }
    }
}
