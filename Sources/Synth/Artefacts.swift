import Determinism
import Foundation

/// The kinds of artefact a photographed or scanned page shows, as `ecg synth --artifacts` names them.
public enum ArtefactKind: String, CaseIterable, Codable, Sendable {
    case rotation, perspective, shadow, blur, jpeg, gridColour = "grid-colour", texture
}

/// The artefacts applied to one page, each drawn at random when its kind is enabled; nil or zero
/// when not. Recorded in the sidecar.
public struct Artefacts: Codable, Equatable, Sendable {
    /// Rotation of the page in the image, in degrees (counter-clockwise).
    public var rotation = 0.0
    /// How far each corner moves towards or away from the centre, as fractions of the page size
    /// (top-left, top-right, bottom-right, bottom-left; x then y), for a camera not square to the page.
    public var perspective: [Double] = []
    /// Uneven light: a brightness gradient (fraction lost at the dark side) and its direction in degrees.
    public var lightGradient = 0.0, lightDirection = 0.0
    /// A soft shadow over part of the page: how much light it takes, its edge (a point and an angle
    /// in page fractions and degrees) and the edge's softness in pixels.
    public var shadowStrength = 0.0, shadowPoint: [Double] = [], shadowAngle = 0.0, shadowSoftness = 0.0
    /// Gaussian blur, as the standard deviation in pixels.
    public var blur = 0.0
    /// JPEG quality of the saved page; nil saves a PNG.
    public var jpegQuality: Int?
    /// The grid was recoloured (see `PageStyle.recolourGrid`).
    public var gridRecoloured = false
    /// Paper texture: the depth of its mottling and fibre noise, as a brightness fraction, and its tint.
    public var texture = 0.0
    public var paperTint: Colour?
    /// The colour around the page where the warp leaves the image's corners empty.
    public var background = Colour(0.25, 0.24, 0.23)

    public init() {}

    /// Draws artefacts of the enabled kinds.
    public static func random(_ kinds: Set<ArtefactKind>, using rng: inout SplitMix64) -> Artefacts {
        var a = Artefacts()
        if kinds.contains(.rotation) { a.rotation = rng.uniform(-4...4) }
        if kinds.contains(.perspective) { a.perspective = (0..<8).map { _ in rng.uniform(-0.035...0.035) } }
        if kinds.contains(.shadow) {
            a.lightGradient = rng.uniform(0.05...0.3)
            a.lightDirection = rng.uniform(0...360)
            if rng.chance(0.6) {
                a.shadowStrength = rng.uniform(0.15...0.45)
                a.shadowPoint = [rng.uniform(0.2...0.8), rng.uniform(0.2...0.8)]
                a.shadowAngle = rng.uniform(0...360)
                a.shadowSoftness = rng.uniform(0.01...0.08)
            }
        }
        if kinds.contains(.blur) { a.blur = rng.uniform(0.4...1.8) }
        if kinds.contains(.jpeg) { a.jpegQuality = rng.integer(35...90) }
        if kinds.contains(.gridColour) { a.gridRecoloured = true }
        if kinds.contains(.texture) {
            a.texture = rng.uniform(0.02...0.08)
            a.paperTint = Colour(rng.uniform(0.93...1), rng.uniform(0.91...0.99), rng.uniform(0.84...0.96))
        }
        if kinds.contains(.rotation) || kinds.contains(.perspective) {
            a.background = Colour(rng.uniform(0.1...0.6), rng.uniform(0.1...0.55), rng.uniform(0.1...0.5))
        }
        return a
    }

    /// Whether the page is moved in the image (rotation or perspective).
    var warps: Bool { rotation != 0 || !perspective.isEmpty }

    /// The map from page pixels to image pixels: the page rotated about its centre, shrunk to stay
    /// inside the image, and its corners moved for perspective.
    func homography(width: Int, height: Int) -> Homography {
        let w = Double(width), h = Double(height)
        let source = [(0.0, 0.0), (w, 0), (w, h), (0, h)]
        guard warps else { return .identity }
        let angle = rotation * Double.pi / 180, c = cos(angle), s = sin(angle)
        let fit = 1 / (abs(c) + abs(s) * max(w / h, h / w)) * 0.97
        let target = source.enumerated().map { k, corner -> (Double, Double) in
            let dx = (corner.0 - w / 2) * fit, dy = (corner.1 - h / 2) * fit
            var x = w / 2 + c * dx + s * dy, y = h / 2 - s * dx + c * dy
            if perspective.count == 8 { x += perspective[2 * k] * w; y += perspective[2 * k + 1] * h }
            return (x, y)
        }
        return Homography(from: source, to: target)
    }
}
