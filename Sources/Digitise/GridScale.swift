import ReportFormat

/// Where the millimetre grid lies in the image and how large one millimetre is, found from the
/// grid's own pixels: the grid rectangle from where grid-coloured pixels are dense, and the
/// period from the autocorrelation of their column and row counts.
struct GridScale: Equatable, Sendable {
    /// The grid rectangle in pixels.
    let left, top, right, bottom: Double
    /// Pixels per millimetre across and down (the grid period).
    let pixelsPerMillimetreX, pixelsPerMillimetreY: Double

    /// Finds the grid in `map`.
    ///
    /// - Throws: `DigitiseError.noGrid` when no dense, periodic grid is found;
    ///   `.unsupportedLayout` when its period does not fit the report's 267 x 157-mm grid.
    static func find(in map: InkMap) throws(DigitiseError) -> GridScale {
        var columns = [Double](repeating: 0, count: map.width), rows = [Double](repeating: 0, count: map.height)
        for y in 0..<map.height {
            for x in 0..<map.width where map.isGrid(x, y) {
                columns[x] += 1
                rows[y] += 1
            }
        }
        guard let (roughLeft, roughRight) = denseSpan(columns, window: map.width / 60),
              let (roughTop, roughBottom) = denseSpan(rows, window: map.height / 60) else {
            throw .noGrid("no region of grid-coloured dots or lines")
        }
        // The frame around the grid is the strongest line near each rough edge.
        let left = strongest(columns, near: roughLeft, radius: map.width / 60)
        let right = strongest(columns, near: roughRight, radius: map.width / 60)
        let top = strongest(rows, near: roughTop, radius: map.height / 60)
        let bottom = strongest(rows, near: roughBottom, radius: map.height / 60)
        // The rectangle's size gives a first guess at the scale; the period refines it.
        let guessX = Double(right - left) / ReportGeometry.gridWidth, guessY = Double(bottom - top) / ReportGeometry.gridHeight
        guard guessX > 1.2, guessY > 1.2 else { throw .noGrid("the grid region is too small (\(right - left)x\(bottom - top) pixels)") }
        guard let periodX = period(Array(columns[left...right]), guess: guessX),
              let periodY = period(Array(rows[top...bottom]), guess: guessY) else {
            throw .noGrid("the grid region shows no regular millimetre spacing")
        }
        // A report's grid is 267 x 157 mm; another layout's grid (or a crop) has another size in millimetres.
        let widthMillimetres = Double(right - left) / periodX, heightMillimetres = Double(bottom - top) / periodY
        guard abs(widthMillimetres / ReportGeometry.gridWidth - 1) < 0.08,
              abs(heightMillimetres / ReportGeometry.gridHeight - 1) < 0.08 else {
            throw .unsupportedLayout("the grid is \(Int(widthMillimetres.rounded())) x \(Int(heightMillimetres.rounded())) mm, not the report's 267 x 157 mm")
        }
        return GridScale(left: Double(left), top: Double(top), right: Double(right), bottom: Double(bottom),
                         pixelsPerMillimetreX: periodX, pixelsPerMillimetreY: periodY)
    }

    /// The longest run of indices whose smoothed count is above a third of the typical (90th
    /// percentile) count, bridging dips shorter than four windows (a trace row hides some grid).
    private static func denseSpan(_ counts: [Double], window: Int) -> (Int, Int)? {
        let radius = max(window, 2)
        let smooth = boxSmoothed(counts, radius: radius)
        let typical = smooth.sorted()[Int(Double(smooth.count - 1) * 0.9)]
        guard typical > 0 else { return nil }
        var above = smooth.map { $0 > typical / 3 }
        var gapStart: Int?
        for i in above.indices {
            if !above[i] { if gapStart == nil { gapStart = i }; continue }
            if let g = gapStart, g > 0, above[g - 1], i - g < 4 * radius { for k in g..<i { above[k] = true } }
            gapStart = nil
        }
        var best: (Int, Int)?, start: Int?
        for i in 0...above.count {
            let inside = i < above.count && above[i]
            if inside, start == nil { start = i }
            if !inside, let s = start {
                if (i - 1 - s) > ((best?.1 ?? 0) - (best?.0 ?? 0)) { best = (s, i - 1) }
                start = nil
            }
        }
        return best
    }

    /// The index of the largest count within `radius` of `index`.
    private static func strongest(_ counts: [Double], near index: Int, radius: Int) -> Int {
        let range = max(0, index - radius)...min(counts.count - 1, index + radius)
        return range.max { counts[$0] < counts[$1] } ?? index
    }

    /// The grid period in pixels: the autocorrelation's peak near the 5-mm lag, refined at
    /// ever longer lags for sub-pixel precision. Nil when the peak is weak (no regular grid).
    static func period(_ profile: [Double], guess: Double) -> Double? {
        let mean = profile.reduce(0, +) / Double(profile.count)
        let centred = profile.map { $0 - mean }
        let energy = centred.reduce(0) { $0 + $1 * $1 }
        guard energy > 0 else { return nil }
        func correlation(_ lag: Int) -> Double {
            guard lag < centred.count else { return 0 }
            var sum = 0.0
            for i in 0..<(centred.count - lag) { sum += centred[i] * centred[i + lag] }
            return sum / energy
        }
        func peak(near centre: Double, spread: Double) -> (lag: Double, strength: Double)? {
            let low = max(2, Int((centre * (1 - spread)).rounded(.down))), high = Int((centre * (1 + spread)).rounded(.up))
            guard low < high, high + 1 < centred.count else { return nil }
            let values = (low - 1...high + 1).map(correlation)
            var best = 1
            for k in 1...(values.count - 2) where values[k] > values[best] { best = k }
            let (a, b, c) = (values[best - 1], values[best], values[best + 1])
            let denominator = a - 2 * b + c
            let offset = denominator < 0 ? 0.5 * (a - c) / denominator : 0
            return (Double(low - 1 + best) + offset, b)
        }
        // The 5-mm lines are on every grid (a faint millimetre dot may vanish), so the period is
        // first read at the 5-mm lag, within a millimetre of the frame's guess.
        guard let five = peak(near: 5 * guess, spread: 0.2), five.strength > 0.08 else { return nil }
        var period = five.lag / 5
        // Longer lags divide the peak's quantisation error; each window is a millimetre wide, so
        // that it holds one peak of the millimetre lattice.
        for multiple in [25.0, 50.0, 150.0] {
            guard let longer = peak(near: period * multiple, spread: 0.45 / multiple), longer.strength > 0.04 else { break }
            period = longer.lag / multiple
        }
        return period
    }

    /// Pixel x of a point `mm` millimetres from the page's left edge.
    func x(_ mm: Double) -> Double { left + (mm - ReportGeometry.gridLeft) * pixelsPerMillimetreX }
    /// Pixel y of a point `mm` millimetres from the page's top edge.
    func y(_ mm: Double) -> Double { top + (mm - ReportGeometry.gridTop) * pixelsPerMillimetreY }
}

/// `values` averaged over a window of `2 * radius + 1` (shorter at the ends).
func boxSmoothed(_ values: [Double], radius: Int) -> [Double] {
    var prefix = [0.0]
    prefix.reserveCapacity(values.count + 1)
    for v in values { prefix.append(prefix.last! + v) }
    return values.indices.map { i in
        let a = max(0, i - radius), b = min(values.count, i + radius + 1)
        return (prefix[b] - prefix[a]) / Double(b - a)
    }
}
