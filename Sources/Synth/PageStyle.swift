import Determinism
import Foundation

/// An RGB colour, each channel 0...1.
public struct Colour: Codable, Equatable, Sendable {
    public var red, green, blue: Double
    public init(_ red: Double, _ green: Double, _ blue: Double) { (self.red, self.green, self.blue) = (red, green, blue) }
}

/// How the printed page looks before any photograph of it: grid, paper, ink, and the text printed.
public struct PageStyle: Codable, Equatable, Sendable {
    /// `dotted`: the EDAN look (dots at each millimetre, dotted 5-mm lines); `lined`: classic
    /// paper with thin 1-mm and thicker 5-mm lines.
    public enum Grid: String, Codable, Sendable { case dotted, lined }
    public var grid: Grid
    public var gridColour: Colour
    /// The grid's frame.
    public var borderColour: Colour
    public var paperColour: Colour
    public var inkColour: Colour
    /// The trace's line width in millimetres.
    public var traceWidth: Double
    /// The lead of the 10-s strip at the bottom.
    public var rhythmLead: Lead
    /// Header and footer fields.
    public var patientNumber: String
    public var sex: String
    public var timestamp: String

    /// The reports' own look: dotted grey-pink grid, white paper, black ink; the rhythm lead,
    /// patient ID, sex and time vary. One page in nine has the lighter grid of the reports'
    /// November-2019 batch.
    public static func report(using rng: inout SplitMix64) -> PageStyle {
        let light = rng.chance(1.0 / 9)
        let date = "20\(rng.integer(19...21))-\(twoDigits(rng.integer(1...12)))-\(twoDigits(rng.integer(1...28)))"
        let time = "\(twoDigits(rng.integer(1...12))):\(twoDigits(rng.integer(0...59))):\(twoDigits(rng.integer(0...59))) \(rng.chance(0.5) ? "AM" : "PM")"
        return PageStyle(
            grid: .dotted, gridColour: light ? Colour(0.74, 0.72, 0.71) : Colour(0.6, 0.57, 0.55),
            borderColour: Colour(0.90, 0.62, 0.63), paperColour: Colour(1, 1, 1), inkColour: Colour(0.04, 0.04, 0.04),
            traceWidth: rng.uniform(0.38...0.5), rhythmLead: rng.chance(0.5) ? .ii : .iii,
            patientNumber: String(rng.integer(150_000...199_999)), sex: rng.chance(0.6) ? "Male" : "Female",
            timestamp: "\(date)   \(time)")
    }

    /// A different grid: lined or dotted, in red, pink, orange, green or grey (the grid-colour artefact).
    public mutating func recolourGrid(using rng: inout SplitMix64) {
        let colours = [Colour(0.93, 0.35, 0.38), Colour(0.96, 0.6, 0.65), Colour(0.97, 0.62, 0.35),
                       Colour(0.45, 0.75, 0.5), Colour(0.6, 0.6, 0.62)]
        gridColour = rng.pick(colours)
        borderColour = gridColour
        grid = rng.chance(0.7) ? .lined : .dotted
    }

    private static func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
