import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Training

extension ECG {
    /// `ecg cv --data DIR --features FILE ...`: grouped k-fold cross-validation of linear heads
    /// on cached features, one line per recipe.
    struct CrossValidate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cv",
            abstract: "Cross-validate linear heads on cached features (grouped, stratified k folds).",
            discussion: """
                Splits the distinct images of DIR into K folds (`ecg split`'s grouping: copies, near duplicates \
                and files sharing a --group-column value of the manifest never cross folds; each class spread \
                evenly as far as the groups allow; the same --seed gives the same folds). For every feature \
                cache (`ecg features`), pooling and L2 penalty, fits a class-balanced multinomial logistic \
                regression on K-1 folds (each distinct image once) and predicts the held-out fold, so that every \
                distinct image is predicted once by a head that never saw it. Reports macro-F1 with its \
                percentile-bootstrap interval, accuracy, Myocardial_Infarction recall and ECE per recipe, and \
                writes OUT/cv.json, OUT/cv.md (a Markdown table) and the best recipe's evaluation.json, \
                evaluation.md and report.html in OUT/best. --exclude-test leaves out the test files of an \
                `ecg split` record, so that recipes are chosen without ever touching the test split. FILE+FILE as a \
                --features cache joins two caches' columns (early fusion: a backbone's and `ecg features --kind \
                trace`'s, say); --late-fusion with two caches fuses their heads' probabilities instead (weighted \
                geometric mean). --final-test fits one chosen recipe on a split record's training and validation \
                files and reports its test files, once. \(researchNotice)
                """)

        @Option(help: ArgumentHelp("The data set the caches were computed from (one folder per class).", valueName: "dir"))
        var data: String

        @Option(help: ArgumentHelp("A feature cache from `ecg features` (repeat for several); FILE+FILE joins two caches' columns (early fusion).", valueName: "file"))
        var features: [String] = []

        @Flag(help: "Late fusion: with exactly two --features caches, fuse every head of the first (each --pooling and --l2) with every head of the second (--late-l2, pooling avg) by --fusion-weights.")
        var lateFusion = false

        @Option(help: ArgumentHelp("L2 penalties of the second cache's heads under --late-fusion, comma-separated.", valueName: "list"))
        var lateL2 = "0.1,0.3,1"

        @Option(help: ArgumentHelp("Weights of the first head's log-probabilities under --late-fusion (the second gets 1 - w), comma-separated.", valueName: "list"))
        var fusionWeights = "0.5"

        @OptionGroup var foldOptions: FoldOptions

        @Option(help: ArgumentHelp("Poolings to try, comma-separated: avg, max, avg+max.", valueName: "list"))
        var pooling = "avg,avg+max"

        @Option(help: ArgumentHelp("L2 penalties to try (on standardised features), comma-separated.", valueName: "list"))
        var l2 = "0.003,0.01,0.03,0.1,0.3,1"

        @Flag(help: "Weigh every image 1 instead of balancing the classes.")
        var noClassWeights = false

        @Option(help: ArgumentHelp("Leave out the test files of this `ecg split` record (split.json).", valueName: "file"))
        var excludeTest: String?

        @Option(help: ArgumentHelp("Instead of cross-validating, fit the one recipe given on the training and validation files of this `ecg split` record and report its test files, once: the last word on a recipe chosen by CV.", valueName: "file"))
        var finalTest: String?

        @Option(help: ArgumentHelp("Leave out the named columns (of caches that name them, as --kind trace's do) matching this regular expression: what a feature group adds, by its absence.", valueName: "regex"))
        var dropColumns: String?

        @Option(help: ArgumentHelp("Bootstrap resamples for the intervals.", valueName: "n"))
        var bootstrap = 1000

        @Option(help: ArgumentHelp("Where to write cv.json, cv.md and best/.", valueName: "dir"))
        var out = "evaluation/cv"

        func validate() throws {
            guard !features.isEmpty else { throw ValidationError("give at least one --features cache (made by `ecg features`)") }
            if lateFusion {
                guard features.count == 2 else { throw ValidationError("--late-fusion takes exactly two --features caches") }
                guard !latePenalties.isEmpty, latePenalties.count == lateL2.split(separator: ",").count, latePenalties.allSatisfy({ $0 > 0 }) else {
                    throw ValidationError("--late-l2 takes positive numbers, comma-separated")
                }
                guard !weights.isEmpty, weights.count == fusionWeights.split(separator: ",").count, weights.allSatisfy({ (0...1).contains($0) }) else {
                    throw ValidationError("--fusion-weights takes numbers in 0...1, comma-separated")
                }
            }
            if finalTest != nil {
                guard excludeTest == nil else { throw ValidationError("give --final-test or --exclude-test, not both") }
                guard poolings.count == 1, penalties.count == 1, !lateFusion || (latePenalties.count == 1 && weights.count == 1) else {
                    throw ValidationError("--final-test evaluates one recipe: give one --pooling and one --l2 (and one --late-l2 and --fusion-weights)")
                }
            }
            if let dropColumns, (try? NSRegularExpression(pattern: dropColumns)) == nil {
                throw ValidationError("--drop-columns takes a regular expression; \(dropColumns) is not one")
            }
            guard bootstrap >= 0 else { throw ValidationError("--bootstrap must not be negative") }
            guard !poolings.isEmpty, poolings.count == pooling.split(separator: ",").count else {
                throw ValidationError("--pooling takes avg, max or avg+max, comma-separated")
            }
            guard !penalties.isEmpty, penalties.count == l2.split(separator: ",").count, penalties.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--l2 takes positive numbers, comma-separated")
            }
        }

        var poolings: [FeaturePooling] { pooling.split(separator: ",").compactMap { FeaturePooling(rawValue: String($0)) } }
        var penalties: [Double] { l2.split(separator: ",").compactMap { Double(String($0)) } }
        var latePenalties: [Double] { lateL2.split(separator: ",").compactMap { Double(String($0)) } }
        var weights: [Double] { fusionWeights.split(separator: ",").compactMap { Double(String($0)) } }

        func run() throws {
            try failingCleanly {
                let folder = try ImageFolder(directory: URL(fileURLWithPath: data))
                let paths = folder.files.map { "\(folder.classes[$0.label])/\($0.url.lastPathComponent)" }
                let caches = try features.map { spec in
                    // FILE+FILE: the caches' columns joined (early fusion).
                    let parts = try spec.split(separator: "+").map { part in
                        let path = String(part)
                        let cache = try FeatureCache(contentsOf: URL(fileURLWithPath: path))
                        guard cache.files == paths, cache.classes == folder.classes else {
                            throw CLIError("\(path) was not computed from \(data)'s files (rerun `ecg features`)")
                        }
                        return try dropColumns.map { try cache.dropping(columnsMatching: $0, path: path) } ?? cache
                    }
                    return try parts.dropFirst().reduce(parts[0]) { try $0.concatenated(with: $1) }
                }
                let grouped = try foldOptions.grouped(folder: folder, fingerprints: caches[0].fingerprints,
                                                      rows: try participatingRows(paths))
                let (rows, folds, imageOfRow) = (grouped.rows, grouped.folds, grouped.imageOfRow)
                note(grouped.summary + (excludeTest.map { "; test files of \($0) left out" } ?? ""))
                // Each recipe's predictions: out of fold, or (--final-test) of the test files by a head fitted on the rest.
                let split = try finalTest.map { try splitRecord($0, paths: paths) }
                if let split, let finalTest {
                    note("final test: fitted on the \(split.training.count) training and validation files of \(finalTest), "
                         + "reported on its \(split.test.count) test files (the folds above are not used)")
                }
                let predict: (FeatureCache, HeadRecipe) -> [ImageResult] = { cache, recipe in
                    if let split {
                        return HeadCrossValidation.heldOutTest(cache: cache, training: split.training, test: split.test,
                                                               imageOfRow: imageOfRow, recipe: recipe)
                    }
                    return HeadCrossValidation.outOfFold(cache: cache, rows: rows, folds: folds, imageOfRow: imageOfRow, recipe: recipe)
                }
                var outcomes: [CrossValidationOutcome] = []
                func record(_ outcome: CrossValidationOutcome) {
                    // Unbuffered, so each line shows as its recipe finishes, also in a file or pipe.
                    FileHandle.standardOutput.write(Data((outcome.line + "\n").utf8))
                    outcomes.append(outcome)
                }
                if lateFusion {
                    lateFusionOutcomes(caches, folds: folds, finalTest: split != nil, predict: predict).forEach(record)
                    return try write(outcomes)
                }
                for cache in caches {
                    for pooling in poolings {
                        for penalty in penalties {
                            let recipe = HeadRecipe(pooling: pooling, l2: penalty, classBalanced: !noClassWeights)
                            let start = Date()
                            let report = HeadCrossValidation.report(
                                source: cache.source, classes: cache.classes, recipe: recipe, folds: folds,
                                results: predict(cache, recipe), bootstrap: Bootstrap(resamples: bootstrap, seed: foldOptions.seed),
                                seconds: Date().timeIntervalSince(start), notice: researchNotice, finalTest: split != nil)
                            record(CrossValidationOutcome(features: cache.source, recipe: recipe, report: report))
                        }
                    }
                }
                try write(outcomes)
            }
        }

        /// `--late-fusion`: every head of the first cache (poolings x penalties) with every head of the
        /// second (pooling avg, --late-l2), their out-of-fold predictions fused by each weight. The
        /// same folds for both, so every fused prediction is of an image neither head saw.
        private func lateFusionOutcomes(
            _ caches: [FeatureCache], folds: CrossValidationFolds, finalTest: Bool,
            predict: (FeatureCache, HeadRecipe) -> [ImageResult]
        ) -> [CrossValidationOutcome] {
            let (first, second) = (caches[0], caches[1])
            let secondHeads = latePenalties.map { penalty in
                let recipe = HeadRecipe(pooling: .average, l2: penalty, classBalanced: !noClassWeights)
                return (recipe, predict(second, recipe))
            }
            var outcomes: [CrossValidationOutcome] = []
            for pooling in poolings {
                for penalty in penalties {
                    let start = Date()
                    let recipe = HeadRecipe(pooling: pooling, l2: penalty, classBalanced: !noClassWeights)
                    let firstResults = predict(first, recipe)
                    for (secondRecipe, secondResults) in secondHeads {
                        for weight in weights {
                            let source = HeadCrossValidation.fusedSource(first.source, second.source, recipeB: secondRecipe, weight: weight)
                            let report = HeadCrossValidation.report(
                                source: source, classes: first.classes, recipe: recipe, folds: folds,
                                results: HeadCrossValidation.fuse(firstResults, secondResults, weight: weight),
                                bootstrap: Bootstrap(resamples: bootstrap, seed: foldOptions.seed),
                                seconds: Date().timeIntervalSince(start), notice: researchNotice, finalTest: finalTest)
                            outcomes.append(CrossValidationOutcome(features: source, recipe: recipe, report: report))
                        }
                    }
                }
            }
            return outcomes
        }

        /// The rows of the folder taking part: all, or all but the split record's test files.
        private func participatingRows(_ paths: [String]) throws -> [Int] {
            guard let excludeTest else { return Array(paths.indices) }
            return try splitRecord(excludeTest, paths: paths).training
        }

        /// The rows of a split record's training and validation files, and of its test files.
        private func splitRecord(_ path: String, paths: [String]) throws -> (training: [Int], test: [Int]) {
            try GroupedFolds.splitRows(path, paths: paths, data: data)
        }

        private func write(_ outcomes: [CrossValidationOutcome]) throws {
            let directory = URL(fileURLWithPath: out)
            let best = outcomes.max { ($0.report.metrics.macroF1.value ?? 0) < ($1.report.metrics.macroF1.value ?? 0) }!
            try FileManager.default.createDirectory(at: directory.appendingPathComponent("best"), withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(outcomes.map(\.summary)).write(to: directory.appendingPathComponent("cv.json"), options: .atomic)
            try Data((CrossValidationOutcome.markdownHeader + outcomes.map(\.markdownRow)).joined(separator: "\n").utf8)
                .write(to: directory.appendingPathComponent("cv.md"), options: .atomic)
            let bestDirectory = directory.appendingPathComponent("best")
            try best.report.json().write(to: bestDirectory.appendingPathComponent("evaluation.json"), options: .atomic)
            try Data(best.report.markdown().utf8).write(to: bestDirectory.appendingPathComponent("evaluation.md"), options: .atomic)
            try Data(best.report.html().utf8).write(to: bestDirectory.appendingPathComponent("report.html"), options: .atomic)
            print("best: \(best.line)")
            print("wrote cv.json, cv.md and best/ to \(directory.path)")
        }
    }
}

extension FeatureCache {
    /// The cache without its named columns that match `pattern` (`ecg cv --drop-columns`); a cache
    /// without column names is returned as it is.
    ///
    /// - Throws: `CLIError` naming `path` when the pattern would leave no column.
    func dropping(columnsMatching pattern: String, path: String) throws -> FeatureCache {
        guard let names = source.featureNames else { return self }
        let kept = names.indices.filter { names[$0].range(of: pattern, options: .regularExpression) == nil }
        guard !kept.isEmpty else { throw CLIError("--drop-columns \(pattern) leaves no column of \(path)") }
        guard kept.count < names.count else { return self }
        func select(_ values: [Float]) -> [Float] {
            files.indices.flatMap { row in kept.map { values[row * channels + $0] } }
        }
        var subset = source
        subset.featureNames = kept.map { names[$0] }
        subset.label = "\(source.summary), \(kept.count) of \(names.count) columns"  // no pattern: its "|" would split a table row
        return FeatureCache(files: files, labels: labels, classes: classes, fingerprints: fingerprints, source: subset,
                            channels: kept.count, average: select(average), maximum: select(maximum))
    }
}
