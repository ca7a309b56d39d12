import Inference
import Foundation

/// The result page's heatmap block: the overlay image, a switch between it and the plain page
/// (a checkbox and CSS, so it works without JavaScript), and the figures in words.
struct ExplanationView {
    struct Region {
        let rank: Int
        let area: String
        let share: String
    }

    let className: String
    let overlaySource: String
    let layer: String
    let heatInGrid: String?
    let regions: [Region]
    let hasRegions: Bool

    init(_ json: ExplanationJSON) {
        className = Conditions.label(json.className)
        overlaySource = json.overlayPNGBase64.map { "data:image/png;base64," + $0 } ?? ""
        layer = json.layer.map(String.init).joined(separator: " × ")
        heatInGrid = json.heatInGrid.map { String(format: "%.0f %%", $0 * 100) }
        regions = json.regions.prefix(3).enumerated().map { index, region in
            Region(rank: index + 1,
                   area: String(format: "%.0f–%.0f %% across, %.0f–%.0f %% down", region.x * 100, (region.x + region.width) * 100,
                                  region.y * 100, (region.y + region.height) * 100),
                   share: String(format: "%.0f %%", region.share * 100))
        }
        hasRegions = !regions.isEmpty
    }
}
