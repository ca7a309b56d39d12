import Checkpoints
import Foundation
import ImageIO
import Models
import Tensors
import Testing

/// The repository's root, from this file's path.
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

@Test func theCommittedMobileNetV2WeightsAreTrainedAndLoad() throws {
    let url = repositoryRoot.appendingPathComponent("models/trained/mobilenetv2.safetensors")
    let file = try SafetensorsFile(contentsOf: url)
    let metadata = try WeightsMetadata(file: file)
    #expect(metadata.trained)
    #expect(metadata.architecture == .mobileNetV2 && metadata.classes == Architecture.ecgClasses)
    #expect(metadata.input == InputSpec(inputSize: 224, resize: .bicubic, preprocessing: .standard))
    #expect(metadata.provenance.contains("ecg train mobilenetv2"))
    let network = try Architecture.mobileNetV2.build(parameters: file, classes: 4)
    let probabilities = try network.probabilities(Tensor(shape: [1, 224, 224, 3], repeating: 0.5)).scalars
    #expect(probabilities.count == 4 && abs(probabilities.reduce(0, +) - 1) < 1e-4)
}
