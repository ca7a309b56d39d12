import Determinism
import Foundation
import ImageIO

/// What to generate: the image size, the artefacts allowed, and the noise level.
public struct PageOptions: Sendable {
    /// The image size in pixels; the default is the reports' 2213 x 1572.
    public var width = 2213, height = 1572
    /// The artefact kinds drawn at random for each page; empty for clean exports like the reports.
    public var artefacts: Set<ArtefactKind> = []
    /// Signal noise, as a multiple of typical filtered-recording levels (0 for none).
    public var noiseScale = 1.0
    /// Saves every page as a JPEG of this quality (the reports are JPEG 90); nil saves PNGs,
    /// except pages given the random-quality JPEG artefact.
    public var jpegQuality: Int?

    public init(width: Int = 2213, height: Int = 1572, artefacts: Set<ArtefactKind> = [], noiseScale: Double = 1,
                jpegQuality: Int? = nil) {
        self.width = width
        self.height = height
        self.artefacts = artefacts
        self.noiseScale = noiseScale
        self.jpegQuality = jpegQuality
    }
}

/// One generated report page: the image, its encoded file and its sidecar.
public struct SyntheticPage: Sendable {
    public let image: RGBImage
    /// The PNG, or JPEG when the page has the JPEG artefact.
    public let file: Data
    /// `png` or `jpg`.
    public let fileExtension: String
    public let sidecar: PageSidecar
    public let signal: ECGSignal

    /// Generates page `index` of class `label` for `seed`: the same page every time, on any thread.
    ///
    /// - Throws: `ImageEncodingError` if the codec fails.
    public static func make(_ label: ECGClass, seed: UInt64, index: Int, options: PageOptions = PageOptions()) throws -> SyntheticPage {
        var rng = SplitMix64(seed: seed, stream: UInt64(ECGClass.allCases.firstIndex(of: label)!) << 32 | UInt64(index))
        let parameters = SignalParameters.random(for: label, noiseScale: options.noiseScale, using: &rng)
        var style = PageStyle.report(using: &rng)
        var artefacts = Artefacts.random(options.artefacts, using: &rng)
        artefacts.jpegQuality = artefacts.jpegQuality ?? options.jpegQuality
        if artefacts.gridRecoloured { style.recolourGrid(using: &rng) }
        let signal = ECGSignal.simulate(parameters, using: &rng)

        let layout = PageLayout(width: options.width, height: options.height)
        var (page, panels) = PageRenderer(layout: layout, style: style).render(signal, heartRate: signal.displayedHeartRate)
        if artefacts.texture > 0 { page.applyTexture(depth: artefacts.texture, tint: artefacts.paperTint ?? Colour(1, 1, 1), using: &rng) }
        let homography = artefacts.homography(width: layout.width, height: layout.height)
        if artefacts.warps { page = page.warped(by: homography, background: artefacts.background) }
        if artefacts.lightGradient > 0 || artefacts.shadowStrength > 0 { page.applyLighting(artefacts) }
        page.blur(sigma: artefacts.blur)

        let image = RGBImage(width: layout.width, height: layout.height, pixels: page.quantised())
        let file = try artefacts.jpegQuality.map { try ImageEncoder.jpeg(image, quality: $0) } ?? ImageEncoder.png(image)
        let sidecar = PageSidecar(
            label: label, seed: seed, index: index, width: layout.width, height: layout.height,
            format: artefacts.jpegQuality == nil ? "png" : "jpeg", layout: layout, signal: parameters, beats: signal.beats,
            style: style, artefacts: artefacts,
            leads: panels.map { PageSidecar.LeadBox($0, layout: layout, through: homography) })
        return SyntheticPage(image: image, file: file, fileExtension: artefacts.jpegQuality == nil ? "png" : "jpg",
                             sidecar: sidecar, signal: signal)
    }
}

extension ECGSignal {
    /// The heart rate a recorder prints: beats per minute from the mean RR interval on the page.
    var displayedHeartRate: Int {
        guard let first = beats.first, let last = beats.last, beats.count > 1 else { return Int(parameters.heartRate.rounded()) }
        return Int((60 * Double(beats.count - 1) / (last.time - first.time)).rounded())
    }
}
