import Foundation
import Hummingbird
import HummingbirdTesting
import Inference
import Server
import Testing

/// One JSON shape for a prediction: the API's answer decodes as `PredictionAnswer` (the type
/// `ecg predict --json` writes), and openapi.yaml's `Prediction` schema lists every field.
@Suite("Prediction shape")
struct PredictionShapeTests {
    /// The property names and required names of a top-level schema in openapi.yaml (two-space
    /// indentation: schemas at 4, their keywords at 6, properties at 8).
    static func schema(_ name: String) -> (properties: Set<String>, required: Set<String>) {
        var inSchema = false, inProperties = false
        var properties: Set<String> = [], required: Set<String> = []
        for line in OpenAPITests.document.split(separator: "\n") {
            let indent = line.prefix { $0 == " " }.count
            let text = line.trimmingCharacters(in: .whitespaces)
            if indent == 4 { inSchema = text == "\(name):"; inProperties = false; continue }
            guard inSchema else { continue }
            if indent == 6 {
                inProperties = text == "properties:"
                if text.hasPrefix("required: [") {
                    required = Set(text.dropFirst("required: [".count).dropLast().split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    })
                }
            } else if indent == 8, inProperties, text.hasSuffix(":") {
                properties.insert(String(text.dropLast()))
            }
        }
        return (properties, required)
    }

    @Test("The schema parser reads Prediction's properties and required list")
    func parserReadsTheSchema() {
        let prediction = Self.schema("Prediction")
        #expect(prediction.required.contains("leading_classes") && prediction.properties.contains("page"))
        #expect(prediction.required.isSubset(of: prediction.properties))
    }

    @Test("Every field a PredictionAnswer can carry is in the schema")
    func everyFieldDocumented() throws {
        let prediction = Prediction(classes: ["a", "b"], probabilities: [0.25, 0.75],
                                    timings: .init(preprocessMilliseconds: 1, inferenceMilliseconds: 2))
        let verdict = try InputGate().examined(Fixture.ecgLikePage(width: 240, height: 170), enforce: false).verdict
        let answer = PredictionAnswer(
            model: "m", modelName: "M", trained: true, uncertainBelow: 0.9, prediction: prediction,
            timings: .init(queue: 0, decode: 1, preprocess: 1, inference: 2, total: 5),
            page: PageReport(verdict, checked: true), sample: "Normal", image: "page.png")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(answer)) as? [String: Any])
        let schema = Self.schema("Prediction")
        #expect(Set(object.keys).subtracting(schema.properties).isEmpty, "undocumented: \(Set(object.keys).subtracting(schema.properties))")
        #expect(schema.required.isSubset(of: Set(object.keys)))
        #expect(answer.confidence == .low && answer.leadingClasses == ["b", "a"] && answer.prediction == "b")
        // Absent values are left out, not written as null.
        let bare = PredictionAnswer(model: "m", modelName: "M", trained: true, uncertainBelow: nil, prediction: prediction,
                                    timings: answer.timingsMilliseconds, page: nil)
        let keys = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(bare)) as? [String: Any]).keys
        #expect(Set(keys) == schema.required)
    }

    @Test("POST /api/v1/predict answers a PredictionAnswer with only documented fields, and no image")
    func apiAnswerIsThePredictionAnswer() async throws {
        try await withFixture { fixture in
            try await withRouter(fixture.server()) { client in
                let response = try await client.post("/api/v1/predict", form: Multipart.form(model: "small_cnn", image: Fixture.png(phase: 5)))
                #expect(response.status == .ok)
                let answer = try JSONDecoder().decode(PredictionAnswer.self, from: Data(response.text.utf8))
                #expect(answer.model == "small_cnn" && answer.image == nil && answer.page?.checked == true)
                let keys = Set(response.json.keys)
                #expect(keys.subtracting(Self.schema("Prediction").properties).isEmpty)
                #expect(keys == Self.schema("Prediction").required.union(["page"]))
            }
        }
    }
}
