/// Grouped, stratified k-fold cross-validation: every group of files that `DatasetSplit` keeps on
/// one side (copies and near duplicates of a picture, files sharing a manifest value such as
/// `header_id`) lands in exactly one fold, and each class's distinct images are spread evenly over
/// the folds as far as the groups allow. Training on the other folds and predicting the held-out
/// one, fold by fold, predicts every distinct image once by a model that never saw it, nor any
/// copy of it, nor any page sharing its group.
///
/// The folds are `SplitPlan`'s assignment with `k` bins of share `1/k`: the same seed gives the
/// same folds.
public struct CrossValidationFolds: Codable, Equatable, Sendable {
    /// The number of folds.
    public let k: Int
    public let seed: UInt64
    /// The fold (`0..<k`) of each file.
    public let foldOfFile: [Int]
    /// `imagesPerFold[fold][class]`: distinct images of each class in each fold.
    public let imagesPerFold: [[Int]]

    enum CodingKeys: String, CodingKey {
        case k, seed
        case foldOfFile = "fold_of_file", imagesPerFold = "images_per_fold"
    }

    /// Assigns files to folds.
    ///
    /// - Parameters:
    ///   - groupOfFile: The group of each file (`DatasetSplit.File.group`), numbered from 0.
    ///   - imageOfFile: The distinct image of each file (`DatasetSplit.File.image`).
    ///   - labelOfFile: The class of each file, in `0..<classCount`.
    ///   - k: Folds, at least 2.
    public init(groupOfFile: [Int], imageOfFile: [Int], labelOfFile: [Int], classCount: Int, k: Int, seed: UInt64) {
        precondition(k >= 2, "cross-validation needs at least two folds")
        precondition(groupOfFile.count == imageOfFile.count && imageOfFile.count == labelOfFile.count, "one group, image and label per file")
        let groupCount = (groupOfFile.max() ?? -1) + 1
        var groupImages = Array(repeating: [Int](repeating: 0, count: classCount), count: groupCount)
        var seen = Set<[Int]>()
        for file in groupOfFile.indices where seen.insert([imageOfFile[file], labelOfFile[file]]).inserted {
            groupImages[groupOfFile[file]][labelOfFile[file]] += 1
        }
        let foldOfGroup = SplitPlan.assign(
            groupImages: groupImages, shares: Array(repeating: 1 / Double(k), count: k), seed: seed)
        self.k = k
        self.seed = seed
        foldOfFile = groupOfFile.map { foldOfGroup[$0] }
        var perFold = Array(repeating: [Int](repeating: 0, count: classCount), count: k)
        for (group, fold) in foldOfGroup.enumerated() {
            for c in 0..<classCount { perFold[fold][c] += groupImages[group][c] }
        }
        imagesPerFold = perFold
    }

    /// The folds of a split's files (in `split.files` order), grouped as the split grouped them.
    /// Make the split with no validation or test share to cross-validate a whole folder.
    public init(_ split: DatasetSplit, k: Int, seed: UInt64) {
        let labels = split.files.map { file in split.classes.firstIndex(of: file.className)! }
        self.init(groupOfFile: split.files.map(\.group), imageOfFile: split.files.map(\.image), labelOfFile: labels,
                  classCount: split.classes.count, k: k, seed: seed)
    }

    /// The files held out in `fold`: the ones its model predicts.
    public func heldOut(_ fold: Int) -> [Int] { foldOfFile.indices.filter { foldOfFile[$0] == fold } }

    /// The files `fold`'s model trains on: every file of the other folds.
    public func training(_ fold: Int) -> [Int] { foldOfFile.indices.filter { foldOfFile[$0] != fold } }
}
