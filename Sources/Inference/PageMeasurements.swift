import ImageIO

/// What the input gate measures on an (upright) image: the evidence that it is a printed or
/// scanned 12-lead ECG page. Every value is cheap to compute and explainable in one sentence.
public struct PageMeasurements: Sendable, Codable, Equatable {
    /// The long side over the short side (an A4/letter landscape page is about 1.4).
    public var aspect: Double
    /// True when the image is wider than high (the page, once upright).
    public var landscape: Bool
    /// The fraction of pixels that are grid-pink (light and clearly redder than grey).
    public var gridFraction: Double
    /// How regular the grid is along x: the largest normalised autocorrelation of the column
    /// profile of grid lines, over the lags a grid can have (0 none, 1 perfectly periodic).
    public var periodicityX: Double
    /// The same along y (lower on real pages: the traces and text cross the rows).
    public var periodicityY: Double
    /// The lag, in working pixels, at which `periodicityX` peaks (a grid box's side or a multiple).
    public var gridPeriod: Int
    /// The fraction of pixels dark enough to be ink (trace, text).
    public var inkFraction: Double
    /// Separate bands of ink across the grid box (see ``traceRows(_:box:)``): 4 on a 12-lead page.
    public var traceRows: Int

    enum CodingKeys: String, CodingKey {
        case aspect, landscape, inkFraction = "ink_fraction", gridFraction = "grid_fraction"
        case periodicityX = "periodicity_x", periodicityY = "periodicity_y", gridPeriod = "grid_period"
        case traceRows = "trace_rows"
    }

    /// Measures `image` as it is (no turning).
    public init(_ image: RGBImage) {
        self.init(PageRaster(image))
    }

    init(_ raster: PageRaster) {
        let (width, height) = (raster.width, raster.height)
        aspect = Double(max(width, height)) / Double(min(width, height))
        landscape = width >= height
        var grid = 0, ink = 0
        // Grid-line strength: how much darker than paper (and how much pinker) a light pixel is.
        // Ink is left out, so the traces and the text do not count as grid.
        var columns = [Double](repeating: 0, count: width), rows = [Double](repeating: 0, count: height)
        raster.luma.withUnsafeBufferPointer { lumas in
            raster.redness.withUnsafeBufferPointer { rednesses in
                for y in 0..<height {
                    var rowSum: Float = 0
                    for x in 0..<width {
                        let index = y * width + x
                        let (luma, redness) = (lumas[index], rednesses[index])
                        if PageRaster.isGrid(luma: luma, redness: redness) { grid += 1 }
                        if PageRaster.isInk(luma: luma) { ink += 1 }
                        guard luma > 150 else { continue }
                        let strength = max(0, 250 - luma) + redness
                        columns[x] += Double(strength)
                        rowSum += strength
                    }
                    rows[y] = Double(rowSum)
                }
            }
        }
        let count = Double(width * height)
        gridFraction = Double(grid) / count
        inkFraction = Double(ink) / count
        let window = Self.detrendWindow(longSide: max(width, height))
        let x = Self.periodicity(columns, window: window)
        periodicityX = x.value
        gridPeriod = x.lag
        periodicityY = Self.periodicity(rows, window: window).value
        traceRows = Self.traceRows(raster, box: raster.gridBox())
    }

    /// The moving-average window that removes slow shading from a profile: about two large grid
    /// boxes of a full page (41 pixels on the data set's 1106-pixel-wide scans), always odd.
    static func detrendWindow(longSide: Int) -> Int {
        max(9, longSide / 27) | 1
    }

    /// How periodic `profile` is, with its period: the profile less its moving average over
    /// `window` is autocorrelated (normalised by its energy), and a lag L scores its
    /// autocorrelation minus that at L / 2, where a grid's lines fall between each other. A
    /// periodic grid scores up to 1 or more; smooth or random content, whose autocorrelation only
    /// decays, scores near 0. Lags from 8 to `3 * window`; zero for a flat or too short profile.
    static func periodicity(_ profile: [Double], window: Int) -> (value: Double, lag: Int) {
        let half = window / 2
        guard profile.count > 2 * window + 8 else { return (0, 0) }
        // Prefix sums give each moving average in O(1).
        var prefix = [0.0]
        prefix.reserveCapacity(profile.count + 1)
        for value in profile { prefix.append(prefix.last! + value) }
        let detrended = (half..<(profile.count - half)).map { index in
            profile[index] - (prefix[index + half + 1] - prefix[index - half]) / Double(window)
        }
        let energy = detrended.reduce(0) { $0 + $1 * $1 }
        let maximumLag = min(3 * window, detrended.count / 2)
        guard energy > 1e-9 * Double(detrended.count), maximumLag >= 8 else { return (0, 0) }
        let correlation = detrended.withUnsafeBufferPointer { values in
            (0...maximumLag).map { lag in
                var sum = 0.0
                for index in 0..<(values.count - lag) { sum += values[index] * values[index + lag] }
                return sum / energy
            }
        }
        var best = (value: 0.0, lag: 0)
        for lag in 8...maximumLag {
            let value = correlation[lag] - correlation[(lag + 1) / 2]
            if value > best.value { best = (value, lag) }
        }
        return best
    }

    /// How many separate bands of ink run across the grid box: the rows of traces. The ink
    /// profile down the box (smoothed over 1/40 of its height) is cut where it drops below 30 %
    /// of its peak; bands closer than 1/12 of the box height are one band. A 12-lead page has
    /// 4 (3 rows of leads and the rhythm strip); a chart has 1, an empty grid 0.
    static func traceRows(_ raster: PageRaster, box: PageRaster.Box?) -> Int {
        guard let box, box.bottom - box.top >= 20, box.right > box.left else { return 0 }
        let height = box.bottom - box.top + 1
        var profile = [Double](repeating: 0, count: height)
        for y in 0..<height {
            var ink = 0
            for x in box.left...box.right where raster.isInk((box.top + y) * raster.width + x) { ink += 1 }
            profile[y] = Double(ink) / Double(box.right - box.left + 1)
        }
        let radius = max(3, height / 40) / 2
        let smooth = (0..<height).map { y in
            let range = max(0, y - radius)...min(height - 1, y + radius)
            return range.reduce(0) { $0 + profile[$1] } / Double(range.count)
        }
        guard let peak = smooth.max(), peak > 0 else { return 0 }
        var bands = 0, lastEnd = Int.min / 2, inside = false
        for (y, value) in smooth.enumerated() {
            if value > 0.3 * peak {
                if !inside, Double(y - lastEnd) >= Double(height) / 12 { bands += 1 }
                inside = true
                lastEnd = y
            } else {
                inside = false
            }
        }
        return bands
    }
}
