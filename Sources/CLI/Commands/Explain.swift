import ArgumentParser
import Datasets
import Explain
import Foundation
import ImageIO
import Inference
import Models
import NN
import Training

extension ECG {
    /// `ecg explain IMAGE --model M --out FILE.png [--class C] [--json]`, or `--report FOLDER`:
    /// Grad-CAM heatmaps of a model's answers, and their sanity checks over a folder of pages.
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show where on a page a model found the evidence for its answer (Grad-CAM).",
            discussion: """
                Runs the model on the page, then backpropagates the chosen class's score (the predicted class \
                unless --class is given) to the model's last convolutional block, and weighs that block's channels \
                by their mean gradient (Grad-CAM, Selvaraju et al. 2017). The heatmap is drawn over the page in \
                --out (a PNG; red is where the evidence for the class was strongest, the part of the page the \
                model never saw is greyed out), and the hottest regions are printed as fractions of the page, with \
                the share of the heat that falls inside the trace grid rather than on the printed header.

                The map has the block's coarse resolution (7 x 7 for MobileNetV2, 18 x 18 for the small CNN) and \
                shows what the model used, not what is medically right. See docs/explain.md.

                With --report FOLDER (a folder of class subfolders, such as Data/test), prints over every distinct \
                page the two sanity checks of docs/explain.md: the rank correlation between the trained model's \
                map and a randomly initialised model's (low means the map depends on what the model learned), and \
                the mean share of the heat inside the trace grid.

                \(researchNotice)
                """)

        @Argument(help: ArgumentHelp("The page to explain (JPEG or PNG).", valueName: "image"))
        var image: String?

        @Option(name: .shortAndLong, help: "The model's key (see `ecg models`); the registry's default when omitted.")
        var model: String?

        @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the overlay PNG.", valueName: "file.png"))
        var out: String?

        @Option(name: .customLong("class"), help: ArgumentHelp(
            "The class to explain, by name or index (default: the predicted class).", valueName: "class"))
        var className: String?

        @Flag(help: "Print the explanation as one JSON object.")
        var json = false

        @Flag(name: .customLong("no-gate"),
              help: "Explain images even when the page check says they are not 12-lead ECG pages.")
        var noGate = false

        @Option(help: ArgumentHelp("Print the sanity checks over a folder of pages instead.", valueName: "folder"))
        var report: String?

        @Option(help: "With --report: explain at most this many pages (default: all).")
        var limit: Int?

        @OptionGroup var registryOptions: RegistryOptions

        func validate() throws {
            if report != nil {
                if image != nil || out != nil || json || className != nil {
                    throw ValidationError("--report takes a folder alone: leave out the image, --out, --class and --json")
                }
                if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
            } else {
                guard image != nil else { throw ValidationError("give an image to explain, or --report FOLDER") }
                guard let out else { throw ValidationError("give --out FILE.png: where to write the overlay") }
                guard out.lowercased().hasSuffix(".png") else { throw ValidationError("--out must name a .png file, not \(out)") }
                if limit != nil { throw ValidationError("--limit applies to --report only") }
            }
        }

        func run() throws {
            let registry = try registryOptions.registry()
            try failingCleanly {
                let entry = try registry.entry(model)
                let explainer = try Explainer(entry: entry, registry: registry)
                if let report { return try runReport(report, explainer: explainer) }
                let path = image!, out = out!
                let examined: InputGate.Examined
                do {
                    examined = try InputGate().examined(explainer.input.decode(ImageFile.read(path)), enforce: !noGate)
                } catch let refusal as NotAnECGPage {
                    throw CLIError("\(path): \(refusal) (pass --no-gate to explain it anyway)")
                }
                let explanation = try explainer.explain(examined.image, classIndex: className.map(explainer.classIndex))
                let png = try explanation.overlayPNG(on: examined.image)
                do {
                    try png.write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    throw CLIError("cannot write \(out): \(error.localizedDescription)")
                }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(ExplanationJSON(explanation)), as: UTF8.self))
                } else {
                    print(summary(path, out: out, explainer, explanation, turned: examined.verdict.orientation))
                }
            }
        }

        private func summary(
            _ path: String, out: String, _ explainer: Explainer, _ e: Explanation, turned: PageOrientation
        ) -> String {
            var lines = [
                "\(path): why \(e.className) (\(String(format: "%.1f", e.probability * 100)) %)  [\(explainer.displayName)"
                    + "\(explainer.trained ? "" : ", UNTRAINED random weights")]",
                "  Grad-CAM on the last convolutional block (\(e.layerShape.map(String.init).joined(separator: " x "))), "
                    + String(format: "%.0f ms", e.milliseconds),
            ]
            if turned.changed { lines.append("  (page \(turned.summary) first)") }
            if let share = e.heatInGrid {
                lines.append(String(format: "  heat inside the trace grid: %.1f %% (grid box %@)", share * 100,
                                    e.gridBoxDetected ? "found on the page" : "not found: the usual box"))
            } else {
                lines.append("  no part of the page spoke for this class (the map is empty)")
            }
            for (rank, region) in e.regions.enumerated() {
                lines.append(String(format: "  region %d: x %.2f y %.2f w %.2f h %.2f  (%.1f %% of the heat)",
                                    rank + 1, region.x, region.y, region.width, region.height, region.share * 100))
            }
            lines.append("  overlay written to \(out)")
            lines.append(researchNotice)
            return lines.joined(separator: "\n")
        }

        /// The sanity checks over every distinct page of `folder`.
        private func runReport(_ folder: String, explainer: Explainer) throws {
            let pages = try ImageFolder(directory: URL(fileURLWithPath: folder)).distinctFiles().files
            let chosen = Array(pages.prefix(limit ?? pages.count))
            let random = Explainer(
                key: explainer.key, displayName: "random", architecture: explainer.architecture, classes: explainer.classes,
                input: explainer.input, trained: false,
                network: try makeTrainableNetwork(explainer.architecture, classes: explainer.classes.count,
                                                  inputSize: explainer.input.inputSize, parameters: RandomParameterSource(seed: 1)))
            var correlations: [Double] = [], inGrid: [Double] = [], times: [Double] = []
            var empty = 0, randomEmpty = 0
            for file in chosen {
                let page = InputGate().examine(try explainer.input.decode(ImageFile.read(file.url.path))).image
                let trained = try explainer.explain(page)
                // The same class for both, so only the weights differ.
                let randomised = try random.explain(page, classIndex: trained.classIndex)
                // An empty random map (no evidence for the class at all) has no ranking to compare: counted apart.
                if randomised.heatmap.peak == 0 { randomEmpty += 1 }
                if let rho = rankCorrelation(trained.heatmap.values, randomised.heatmap.values) { correlations.append(rho) }
                if let share = trained.heatInGrid { inGrid.append(share) } else { empty += 1 }
                times.append(trained.milliseconds)
            }
            func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
            let sorted = correlations.sorted()
            print("Explanations of \(explainer.displayName) (\(explainer.key)) over \(chosen.count) distinct pages of \(folder)")
            print(String(format: "  model randomisation: Spearman rank correlation, trained vs random-weight map: mean %.3f, median %.3f, |rho| < 0.5 on %d of %d pages; the random map was empty on %d pages",
                         mean(correlations), sorted.isEmpty ? .nan : sorted[sorted.count / 2],
                         correlations.filter { abs($0) < 0.5 }.count, correlations.count, randomEmpty))
            print(String(format: "  heat inside the trace grid box: mean %.3f, lowest %.3f (%d pages with an empty map)",
                         mean(inGrid), inGrid.min() ?? .nan, empty))
            print(String(format: "  time per explanation: mean %.0f ms", mean(times)))
            if let crop = explainer.input.crop { print("  (the model sees only its crop box \(crop): heat cannot fall outside it)") }
        }
    }
}
