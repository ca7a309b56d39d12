import Foundation

/// A projective map of the plane (3x3 matrix, row-major, last entry 1).
struct Homography {
    let m: [Double]

    static let identity = Homography(m: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    /// The map that takes each of four source points to its target point.
    init(from source: [(Double, Double)], to target: [(Double, Double)]) {
        // Eight equations in the eight unknowns h0...h7 (h8 = 1), solved by Gaussian elimination.
        var a = [[Double]]()
        for ((x, y), (u, v)) in zip(source, target) {
            a.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
            a.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
        }
        for column in 0..<8 {
            let pivot = (column..<8).max { abs(a[$0][column]) < abs(a[$1][column]) }!
            a.swapAt(column, pivot)
            for row in 0..<8 where row != column {
                let f = a[row][column] / a[column][column]
                for k in column...8 { a[row][k] -= f * a[column][k] }
            }
        }
        m = (0..<8).map { a[$0][8] / a[$0][$0] } + [1]
    }

    private init(m: [Double]) { self.m = m }

    /// Where the map sends `(x, y)`.
    func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let w = m[6] * x + m[7] * y + m[8]
        return ((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w)
    }

    /// The inverse map (the adjugate, scaled so that the last entry is 1).
    var inverse: Homography {
        let a = m
        let inv = [a[4] * a[8] - a[5] * a[7], a[2] * a[7] - a[1] * a[8], a[1] * a[5] - a[2] * a[4],
                   a[5] * a[6] - a[3] * a[8], a[0] * a[8] - a[2] * a[6], a[2] * a[3] - a[0] * a[5],
                   a[3] * a[7] - a[4] * a[6], a[1] * a[6] - a[0] * a[7], a[0] * a[4] - a[1] * a[3]]
        return Homography(m: inv.map { $0 / inv[8] })
    }
}
