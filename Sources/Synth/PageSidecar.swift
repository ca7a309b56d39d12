import Foundation

/// The JSON written next to each page: its label, everything drawn at random to make it, and
/// where every lead lies in the image.
public struct PageSidecar: Codable, Equatable, Sendable {
    /// Where one lead's trace lies in the image.
    public struct LeadBox: Codable, Equatable, Sendable {
        public let lead: Lead
        /// The seconds of the 10-s recording shown.
        public let startSeconds, durationSeconds: Double
        /// The axis-aligned box around the panel's corners, in image pixels, clipped to the image: x, y, width, height.
        public let box: [Int]
        /// The panel's corners in image pixels (top-left, top-right, bottom-right, bottom-left): a
        /// quadrilateral when the page is rotated or seen in perspective.
        public let corners: [[Double]]
        /// The 0-mV baseline's two ends in image pixels.
        public let baseline: [[Double]]

        init(_ panel: PanelPlacement, layout: PageLayout, through homography: Homography) {
            func mapped(_ x: Double, _ y: Double) -> [Double] {
                let p = homography.apply(x, y)
                return [(p.x * 10).rounded() / 10, (p.y * 10).rounded() / 10]
            }
            lead = panel.lead
            startSeconds = panel.startTime
            durationSeconds = panel.duration
            corners = [mapped(panel.left, panel.top), mapped(panel.right, panel.top),
                       mapped(panel.right, panel.bottom), mapped(panel.left, panel.bottom)]
            baseline = [mapped(panel.left, panel.baselineY), mapped(panel.right, panel.baselineY)]
            let xs = corners.map { $0[0] }, ys = corners.map { $0[1] }
            let left = max(0, Int(xs.min()!.rounded(.down))), top = max(0, Int(ys.min()!.rounded(.down)))
            let right = min(layout.width, Int(xs.max()!.rounded(.up))), bottom = min(layout.height, Int(ys.max()!.rounded(.up)))
            box = [left, top, max(0, right - left), max(0, bottom - top)]
        }
    }

    /// Always true: the page is generated, not a patient's.
    public var synthetic = true
    public let label: ECGClass
    public let seed: UInt64
    public let index: Int
    public let width, height: Int
    /// `png` or `jpeg`.
    public let format: String
    /// Scales before any warp: pixels per millimetre, second and millivolt.
    public let pixelsPerMillimetre, pixelsPerSecond, pixelsPerMillivolt: Double
    public let signal: SignalParameters
    /// The beats in the 10-s recording.
    public let beats: [Beat]
    public let style: PageStyle
    public let artefacts: Artefacts
    /// The twelve 2.5-s panels (rows top to bottom, columns left to right), then the rhythm strip.
    public let leads: [LeadBox]

    init(label: ECGClass, seed: UInt64, index: Int, width: Int, height: Int, format: String, layout: PageLayout,
         signal: SignalParameters, beats: [Beat], style: PageStyle, artefacts: Artefacts, leads: [LeadBox]) {
        self.label = label
        self.seed = seed
        self.index = index
        self.width = width
        self.height = height
        self.format = format
        pixelsPerMillimetre = layout.scale
        pixelsPerSecond = layout.pixelsPerSecond
        pixelsPerMillivolt = layout.pixelsPerMillivolt
        self.signal = signal
        self.beats = beats.map { Beat(time: ($0.time * 1000).rounded() / 1000, kind: $0.kind) }
        self.style = style
        self.artefacts = artefacts
        self.leads = leads
    }

    /// The sidecar as pretty-printed JSON with sorted, snake-case keys.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }

    /// Reads a sidecar written by `jsonData()`.
    public static func decode(_ data: Data) throws -> PageSidecar {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(PageSidecar.self, from: data)
    }
}
