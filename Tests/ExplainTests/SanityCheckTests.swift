import Foundation
import ImageIO
import Inference
import Models
import NN
import Testing
import Training
@testable import Explain

/// The repository root: this file is `<root>/Tests/ExplainTests/SanityCheckTests.swift`.
private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The explanation sanity checks of docs/explain.md on the shipped small CNN and a committed
/// sample page (`tools/bench/explain.sh` runs them over the real test pages).
@Suite("Explanation sanity checks")
struct SanityCheckTests {
    static let registryURL = repositoryRoot.appendingPathComponent("models/models.json")
    static let weightsURL = repositoryRoot.appendingPathComponent("models/trained/small_cnn.safetensors")
    static let page = repositoryRoot.appendingPathComponent("samples/Normal/synthetic-1.png")

    static func trainedExplainer() throws -> Explainer {
        let registry = try ModelRegistry(contentsOf: registryURL)
        return try Explainer(entry: registry.entry("small_cnn"), registry: registry)
    }

    @Test("Model randomisation: the trained small CNN's map differs clearly from a random-weight one's",
          .enabled(if: FileManager.default.fileExists(atPath: weightsURL.path), "the trained small_cnn weights are absent"))
    func randomisation() throws {
        let trained = try Self.trainedExplainer()
        #expect(trained.trained)
        let page = InputGate().examine(try ImageDecoder.decode(ImageFile.read(Self.page.path))).image
        let explained = try trained.explain(page)
        #expect(explained.heatmap.peak > 0)
        var correlations: [Double] = [], empty = 0
        for seed in [1, 2, 3] as [UInt64] {
            let random = Explainer(
                key: "random", displayName: "random", architecture: .smallCNN, classes: trained.classes, input: trained.input,
                trained: false, network: try makeTrainableNetwork(
                    .smallCNN, classes: trained.classes.count, inputSize: trained.input.inputSize, parameters: RandomParameterSource(seed: seed)))
            let randomised = try random.explain(page, classIndex: explained.classIndex)
            // A random network may find no evidence at all for the class (an empty map): as different as can be.
            if randomised.heatmap.peak == 0 {
                empty += 1
            } else {
                correlations.append(try #require(rankCorrelation(explained.heatmap.values, randomised.heatmap.values)))
            }
        }
        #expect(empty + correlations.count == 3)
        // Explaining the same network twice gives the same map (the check can tell alike from unlike).
        let again = try trained.explain(page, classIndex: explained.classIndex)
        #expect(rankCorrelation(explained.heatmap.values, again.heatmap.values) == 1)
        #expect(correlations.allSatisfy { abs($0) < 0.5 }, "rank correlations with random weights: \(correlations)")
    }

    @Test("The explanation of a page: regions in page fractions, heat inside the crop and grid boxes, an overlay of the page's shape",
          .enabled(if: FileManager.default.fileExists(atPath: weightsURL.path), "the trained small_cnn weights are absent"))
    func pageExplanation() throws {
        let explainer = try Self.trainedExplainer()
        let page = try ImageDecoder.decode(ImageFile.read(Self.page.path))
        let explanation = try explainer.explain(page, classIndex: explainer.classIndex("Myocardial_Infarction"))
        #expect(explanation.className == "Myocardial_Infarction" && explanation.classIndex == 2)
        #expect(explanation.layerShape == [18, 18, 32])
        let crop = try #require(explanation.crop)  // the small CNN reads only its crop box
        for region in explanation.regions {
            #expect(region.share > 0 && region.share <= 1)
            // Heat only falls where the model looked.
            #expect(region.x >= crop.left - 0.01 && region.x + region.width <= crop.right + 0.01)
            #expect(region.y >= crop.top - 0.01 && region.y + region.height <= crop.bottom + 0.01)
        }
        let shares = explanation.regions.map(\.share).reduce(0, +)
        #expect(shares <= 1 + 1e-9)
        if let inGrid = explanation.heatInGrid { #expect((0...1).contains(inGrid)) }
        let overlay = explanation.overlay(on: page, maxSide: 500)
        #expect(max(overlay.width, overlay.height) == 500)
        #expect(abs(Double(overlay.width) / Double(overlay.height) - Double(page.width) / Double(page.height)) < 0.01)
        // The top-left corner lies outside the crop box: greyed, not coloured.
        let corner = overlay.pixel(x: 0, y: 0)
        #expect(corner.red == corner.green && corner.green == corner.blue)
    }

    @Test("Heat on the page: the map fills the crop box only, and shares add up")
    func pageHeat() throws {
        let map = Heatmap(width: 2, height: 2, values: [1, 0, 0, 0], peak: 3)
        let crop = try #require(CropBox(left: 0.5, top: 0, right: 1, bottom: 0.5))
        let heat = PageHeat(map, crop: crop, width: 40, height: 40)
        // Nothing outside the crop box.
        for y in 0..<40 { for x in 0..<40 where x < 20 || y >= 20 { #expect(heat.values[y * 40 + x] == 0) } }
        #expect(heat.share(inside: crop) == 1)
        #expect(heat.share(inside: CropBox(left: 0, top: 0.5, right: 1, bottom: 1)!) == 0)
        // The hot cell is the crop box's top-left quarter: one region there.
        let regions = heat.regions(threshold: 0.5)
        #expect(regions.count == 1)
        #expect(abs(regions[0].x - 0.5) < 0.03 && abs(regions[0].y) < 0.03)
        // At least half the peak: from the cell's edge to midway to the next cell's centre, a quarter of the page.
        #expect(abs(regions[0].width - 0.25) <= 0.03 && abs(regions[0].height - 0.25) <= 0.03)
        #expect(PageHeat(Heatmap(width: 1, height: 1, values: [0], peak: 0), crop: nil, width: 4, height: 4).regions().isEmpty)
    }
}
