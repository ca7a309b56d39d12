/// Spearman's rank correlation of two equally long series (ties get their mean rank): how
/// alike two heatmaps are in where they put more and less heat, whatever their scales. The
/// model-randomisation sanity check (Adebayo et al., "Sanity Checks for Saliency Maps",
/// NeurIPS 2018) compares a trained model's map with a randomly initialised one's this way.
/// - Returns: a value in -1...1; nil when the lengths differ, are below 2, or a series is constant.
public func rankCorrelation(_ a: [Float], _ b: [Float]) -> Double? {
    guard a.count == b.count, a.count >= 2 else { return nil }
    let (ra, rb) = (ranks(a), ranks(b))
    let mean = Double(a.count + 1) / 2
    var (covariance, varianceA, varianceB) = (0.0, 0.0, 0.0)
    for i in a.indices {
        let (da, db) = (ra[i] - mean, rb[i] - mean)
        covariance += da * db
        varianceA += da * da
        varianceB += db * db
    }
    guard varianceA > 0, varianceB > 0 else { return nil }
    return covariance / (varianceA * varianceB).squareRoot()
}

/// 1-based ranks, ties sharing their mean rank.
private func ranks(_ values: [Float]) -> [Double] {
    let order = values.indices.sorted { values[$0] < values[$1] }
    var result = [Double](repeating: 0, count: values.count)
    var start = 0
    while start < order.count {
        var end = start
        while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
        let rank = Double(start + end) / 2 + 1
        for k in start...end { result[order[k]] = rank }
        start = end + 1
    }
    return result
}
