import Dispatch
import Explain
import Foundation
import ImageIO
import Inference

/// Makes the Grad-CAM explanations that `explain=1` asks for, on a thread of its own (never on
/// the event loops or Swift's cooperative pool), one at a time: an explanation costs one
/// forward pass and a partial backward pass of the model (measured on a 2-core machine: about
/// 0.2 s for the small CNN, 0.3 s for MobileNetV2, 1.4 s for InceptionV3 and 3 s for VGG16).
/// At most ``capacity`` requests wait; more get 503 `busy`, as a full model queue does.
///
/// Each model's explainer (its trainable network, from the same weights file) is loaded at
/// first use and kept.
final class ExplanationService: @unchecked Sendable {  // `explainers` and `waiting` are guarded by `lock`
    let registry: ModelRegistry
    let limits: ImageDecoder.Limits
    let capacity: Int
    private let queue = DispatchQueue(label: "explanations")
    private let lock = NSLock()
    private var explainers: [String: Explainer] = [:]
    private var waiting = 0

    init(registry: ModelRegistry, limits: ImageDecoder.Limits, capacity: Int = 4) {
        self.registry = registry
        self.limits = limits
        self.capacity = capacity
    }

    /// Explains model `key`'s answer `className` for the image `data` (a JPEG or PNG that has
    /// already been classified), on the page turned upright as the model saw it.
    /// - Throws: ``APIError/busy(model:)`` when too many explanations wait; the loader's and
    ///   decoder's errors, which ``APIError/init(_:)`` maps to 4xx/503 answers.
    func explain(key: String, className: String, data: [UInt8]) async throws -> ExplanationJSON {
        try lock.withLock {
            guard waiting < capacity else { throw APIError.busy(model: key) }
            waiting += 1
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                defer { lock.withLock { waiting -= 1 } }
                continuation.resume(with: Result {
                    do {
                        return try explainNow(key: key, className: className, data: data)
                    } catch let error as ExplainError {
                        throw APIError(.unprocessableContent, "explanation_failed", error.description)
                    }
                })
            }
        }
    }

    private func explainNow(key: String, className: String, data: [UInt8]) throws -> ExplanationJSON {
        let explainer = try lock.withLock { explainers[key] } ?? {
            let loaded = try Explainer(entry: registry.entry(key), registry: registry)
            lock.withLock { explainers[key] = loaded }
            return loaded
        }()
        let page = InputGate().examine(try explainer.input.decode(data, limits: limits)).image
        let explanation = try explainer.explain(page, classIndex: explainer.classIndex(className))
        return ExplanationJSON(explanation, overlayPNG: try explanation.overlayPNG(on: page, maxSide: 900))
    }
}
