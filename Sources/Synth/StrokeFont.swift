/// A small single-stroke font drawn with the trace's anti-aliased lines, so that text needs no
/// font files and scales to any resolution: letters, digits and the punctuation the report prints.
///
/// Glyphs are polylines on a grid 6 units tall (0 = cap height, 2.5 = x-height, 6 = baseline,
/// 8 = descender) and about 4 wide.
enum StrokeFont {
    /// Polylines separated by `;`, points as `x,y` separated by spaces.
    private static let glyphSource: [Character: String] = [
        "A": "0,6 2,0 4,6;0.7,4 3.3,4", "B": "0,6 0,0 3,0 4,0.8 4,2.2 3,3 0,3;3,3 4,3.8 4,5.2 3,6 0,6",
        "C": "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5", "D": "0,0 0,6 2.5,6 4,4.5 4,1.5 2.5,0 0,0",
        "E": "4,0 0,0 0,6 4,6;0,3 3,3", "F": "4,0 0,0 0,6;0,3 3,3",
        "G": "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,3.5 2.5,3.5", "H": "0,0 0,6;4,0 4,6;0,3 4,3",
        "I": "1,0 1,6;0,0 2,0;0,6 2,6", "J": "4,0 4,5 3,6 1,6 0,5", "K": "0,0 0,6;4,0 0,4;1.3,3 4,6",
        "L": "0,0 0,6 4,6", "M": "0,6 0,0 2.5,4 5,0 5,6", "N": "0,6 0,0 4,6 4,0",
        "O": "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0", "P": "0,6 0,0 3,0 4,0.8 4,2.2 3,3 0,3",
        "Q": "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0;2.5,4.5 4,6.4", "R": "0,6 0,0 3,0 4,0.8 4,2.2 3,3 0,3;2,3 4,6",
        "S": "4,1 3,0 1,0 0,1 0,2 1,3 3,3 4,4 4,5 3,6 1,6 0,5", "T": "0,0 4,0;2,0 2,6",
        "U": "0,0 0,5 1,6 3,6 4,5 4,0", "V": "0,0 2,6 4,0", "W": "0,0 1.2,6 2.5,2 3.8,6 5,0",
        "X": "0,0 4,6;4,0 0,6", "Y": "0,0 2,3 4,0;2,3 2,6", "Z": "0,0 4,0 0,6 4,6",
        "0": "1,0 3,0 4,1 4,5 3,6 1,6 0,5 0,1 1,0", "1": "0.5,1 1.5,0 1.5,6;0.5,6 2.5,6",
        "2": "0,1 1,0 3,0 4,1 4,2 0,6 4,6", "3": "0,1 1,0 3,0 4,1 4,2 3,3 1.5,3;3,3 4,4 4,5 3,6 1,6 0,5",
        "4": "3,6 3,0 0,4 4,4", "5": "4,0 0,0 0,3 3,3 4,4 4,5 3,6 1,6 0,5",
        "6": "4,1 3,0 1,0 0,1 0,5 1,6 3,6 4,5 4,4 3,3 0,3", "7": "0,0 4,0 1.5,6",
        "8": "1,3 0,2 0,1 1,0 3,0 4,1 4,2 3,3 1,3 0,4 0,5 1,6 3,6 4,5 4,4 3,3",
        "9": "4,3 1,3 0,2 0,1 1,0 3,0 4,1 4,5 3,6 1,6 0,5",
        ":": "0.3,2 0.3,2.3;0.3,5.7 0.3,6", ".": "0.3,5.7 0.3,6", ",": "0.6,5.6 0.6,6 0.1,7",
        "-": "0.3,3.5 2.7,3.5", "/": "0,6.5 3,-0.5", "~": "0,3.6 0.8,3 1.6,3.3 2.4,3.8 3.2,3.2",
        "*": "1.5,1 1.5,4;0,1.8 3,3.2;0,3.2 3,1.8", "+": "2,1.5 2,5.5;0,3.5 4,3.5",
        "(": "1.3,-0.5 0.3,1.2 0.3,4.8 1.3,6.5", ")": "0,-0.5 1,1.2 1,4.8 0,6.5", "=": "0,2.5 4,2.5;0,4.5 4,4.5",
        "♥": "2,6 0,3 0,1 1,0 2,1 3,0 4,1 4,3 2,6;1,1.2 1,3 2,4.5 3,3 3,1.2;2,2 2,4",
        // Lower case: x-height at 2.5, descenders down to 8.
        "a": "3.2,2.5 3.2,6;3.2,3.3 2.4,2.5 1,2.5 0,3.5 0,5 1,6 2.4,6 3.2,5.2",
        "b": "0,0 0,6;0,3.3 0.8,2.5 2.2,2.5 3.2,3.5 3.2,5 2.2,6 0.8,6 0,5.2",
        "c": "3.2,3.2 2.4,2.5 1,2.5 0,3.5 0,5 1,6 2.4,6 3.2,5.3",
        "d": "3.2,0 3.2,6;3.2,3.3 2.4,2.5 1,2.5 0,3.5 0,5 1,6 2.4,6 3.2,5.2",
        "e": "0,4.2 3.2,4.2 3.2,3.4 2.4,2.5 1,2.5 0,3.5 0,5 1,6 2.4,6 3.2,5.4",
        "f": "2.6,0.3 2,0 1.4,0 0.8,0.6 0.8,6;0,2.5 2.2,2.5",
        "g": "3.2,2.5 3.2,7 2.2,8 0.8,8 0.2,7.4;3.2,3.3 2.4,2.5 1,2.5 0,3.5 0,5 1,6 2.4,6 3.2,5.2",
        "h": "0,0 0,6;0,3.3 0.8,2.5 2.2,2.5 3.2,3.4 3.2,6", "i": "0.4,2.5 0.4,6;0.4,0.9 0.4,1.2",
        "j": "1.2,2.5 1.2,7.2 0.6,8 0,8;1.2,0.9 1.2,1.2", "k": "0,0 0,6;2.8,2.5 0,4.6;1,3.9 3,6", "l": "0.4,0 0.4,6",
        "m": "0,2.5 0,6;0,3.2 0.7,2.5 1.6,2.5 2.2,3.2 2.2,6;2.2,3.2 2.9,2.5 3.8,2.5 4.4,3.2 4.4,6",
        "n": "0,2.5 0,6;0,3.3 0.8,2.5 2.2,2.5 3.2,3.4 3.2,6", "o": "1,2.5 2.2,2.5 3.2,3.5 3.2,5 2.2,6 1,6 0,5 0,3.5 1,2.5",
        "p": "0,2.5 0,8;0,3.3 0.8,2.5 2.2,2.5 3.2,3.5 3.2,5 2.2,6 0.8,6 0,5.2",
        "q": "3.2,2.5 3.2,8;3.2,3.3 2.4,2.5 1,2.5 0,3.5 0,5 1,6 2.4,6 3.2,5.2", "r": "0,2.5 0,6;0,3.6 1,2.5 2.4,2.5",
        "s": "2.9,3 2.2,2.5 0.9,2.5 0.2,3.1 0.4,3.9 2.6,4.5 3,5.3 2.3,6 0.8,6 0,5.4",
        "t": "0.9,0.8 0.9,5.4 1.5,6 2.3,6;0,2.5 2.2,2.5", "u": "0,2.5 0,5.2 0.8,6 2.2,6 3.2,5;3.2,2.5 3.2,6",
        "v": "0,2.5 1.6,6 3.2,2.5", "w": "0,2.5 1,6 2.2,3 3.4,6 4.4,2.5", "x": "0,2.5 3,6;3,2.5 0,6",
        "y": "0,2.5 1.6,6;3.2,2.5 1.2,8 0.4,8", "z": "0,2.5 3,2.5 0,6 3,6",
    ]

    /// A glyph: its polylines in grid units, and how far the pen moves on after it.
    struct Glyph {
        let strokes: [[(x: Double, y: Double)]]
        let advance: Double
    }

    /// The parsed glyphs.
    private static let glyphs: [Character: Glyph] = {
        var table: [Character: Glyph] = [:]
        for (character, source) in glyphSource {
            let strokes = source.split(separator: ";").map { stroke in
                stroke.split(separator: " ").map { point -> (x: Double, y: Double) in
                    let parts = point.split(separator: ",").map { Double($0)! }
                    return (parts[0], parts[1])
                }
            }
            let maxX = strokes.joined().map(\.x).max() ?? 0
            table[character] = Glyph(strokes: strokes, advance: maxX + 1.5)
        }
        return table
    }()

    /// The space a character takes, in grid units (a space is 3; unknown characters are blanks).
    static func advance(_ character: Character) -> Double { glyphs[character]?.advance ?? 3 }

    /// The width of `text` drawn with capitals `capHeight` pixels tall.
    static func width(of text: String, capHeight: Double) -> Double {
        text.reduce(0) { $0 + advance($1) } * capHeight / 6
    }

    /// Strokes `text` into `mask` with its baseline starting at `(x, y)`.
    static func draw(_ text: String, x: Double, y: Double, capHeight: Double, thickness: Double, into mask: inout CoverageMask) {
        let unit = capHeight / 6
        var penX = x
        for character in text {
            if let glyph = glyphs[character] {
                for stroke in glyph.strokes {
                    mask.strokePolyline(stroke.map { (x: penX + $0.x * unit, y: y + ($0.y - 6) * unit) }, thickness: thickness)
                }
            }
            penX += advance(character) * unit
        }
    }
}
