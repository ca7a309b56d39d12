import ArgumentParser
import Digitise
import Foundation
import ImageIO

extension ECG {
    /// `ecg digitise PAGE --out DIR`: the page's signals, measurements and an overlay to check them.
    struct Digitise: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "digitise",
            abstract: "Read the 12 leads and the rhythm strip off a 3x4+1 ECG report page, and measure them.",
            discussion: """
                Finds the grid, the calibration pulses and the thirteen panels, follows each trace and writes \
                DIR/<name>.csv and the WFDB record DIR/<name>.hea + .dat (twelve 10-s leads at 500 Hz, blank \
                outside the 2.5 s each panel shows; the rhythm strip's lead spans all 10 s), \
                DIR/<name>.measurements.json (rate, rhythm, intervals, axis, per-lead ST, Q and T) and \
                DIR/<name>.overlay.png (the traces read, in red over the page). Pages of another layout are \
                refused. See docs/digitise.md. Research use only: not a medical device.
                """,
            aliases: ["digitize"])

        @Argument(help: ArgumentHelp("The report page (JPEG or PNG).", valueName: "page"))
        var page: String

        @Option(help: ArgumentHelp("The folder to write into (created if missing).", valueName: "dir"))
        var out: String

        @Option(help: ArgumentHelp("The base name of the files written (default: the page's file name without extension).", valueName: "name"))
        var name: String?

        @Flag(help: "Skip the overlay image.")
        var noOverlay = false

        func validate() throws {
            if let name, name.isEmpty || name.contains("/") || name.contains(" ") {
                throw ValidationError("--name must be a file name without spaces or slashes")
            }
        }

        func run() throws {
            let url = URL(fileURLWithPath: page)
            let base = name ?? url.deletingPathExtension().lastPathComponent.replacingOccurrences(of: " ", with: "_")
            try failingCleanly {
                let bytes = try Data(contentsOf: url)
                let image: RGBImage
                do { image = try ImageDecoder.decode(bytes) } catch { throw DigitiseFailure(page: page, reason: "\(error)") }
                let ecg: DigitisedECG
                do { ecg = try Digitiser.digitise(image) } catch { throw DigitiseFailure(page: page, reason: "\(error)") }
                let measurements = Measurements(ecg)
                let folder = URL(fileURLWithPath: out)
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(ecg.csv().utf8).write(to: folder.appendingPathComponent("\(base).csv"))
                let record = ecg.wfdbRecord(name: base)
                try Data(record.header.utf8).write(to: folder.appendingPathComponent("\(base).hea"))
                try record.data.write(to: folder.appendingPathComponent("\(base).dat"))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(DigitiseReport(ecg, measurements)).write(to: folder.appendingPathComponent("\(base).measurements.json"))
                if !noOverlay {
                    try ImageEncoder.png(ecg.overlay(on: image)).write(to: folder.appendingPathComponent("\(base).overlay.png"))
                }
                print(summary(ecg, measurements, base: base))
            }
        }

        private func summary(_ ecg: DigitisedECG, _ m: Measurements, base: String) -> String {
            func format(_ value: Double?, _ scale: Double, _ unit: String) -> String {
                value.map { String(format: "%.0f %@", $0 * scale, unit) } ?? "n/a"
            }
            let unreadable = (ecg.leads + [ecg.rhythm]).filter { !$0.readable }.map(\.name)
            return """
                \(page): 12 leads + rhythm strip (\(ecg.rhythm.name)) at \(Int(ecg.sampleRate)) Hz; \
                grid \(String(format: "%.2f", ecg.layout.pixelsPerMillimetre)) px/mm, \(String(format: "%.1f", ecg.layout.pixelsPerSecond)) px/s\
                \(unreadable.isEmpty ? "" : "; unreadable: " + unreadable.joined(separator: ", "))
                rate \(format(m.heartRate, 1, "/min")), \(m.beatTimes.count) beats, \(m.ectopicBeatTimes.count) ectopic; \
                PR \(format(m.prInterval, 1000, "ms")), QRS \(format(m.qrsDuration, 1000, "ms")), \
                QT \(format(m.qtInterval, 1000, "ms")), QTc \(format(m.qtcInterval, 1000, "ms")), axis \(format(m.qrsAxis, 1, "deg"))
                wrote \(out)/\(base).{csv,hea,dat,measurements.json\(noOverlay ? "" : ",overlay.png")}
                \(researchNotice)
                """
        }
    }
}

/// A page that could not be read, named in the one-line error.
struct DigitiseFailure: Error, CustomStringConvertible {
    let page: String
    let reason: String
    var description: String { "\(page): \(reason)" }
}

/// What `measurements.json` holds: the page's scales and quality, then the measurements and the feature vector.
struct DigitiseReport: Encodable {
    let sampleRate: Double
    let pixelsPerMillimetre, pixelsPerSecond: Double
    let calibrationPulsesFound: [Bool]
    let millimetresPerMillivolt: [Double]
    let rhythmLead: String
    let rhythmMatch: Double
    let leadCoverage: [String: Double]
    let unreadableLeads: [String]
    /// The plausibility figures the page passed (rhythm-strip match, baseline drift, coverage).
    let quality: TraceQuality
    let measurements: Measurements
    let featureNames: [String]
    let features: [Double]

    init(_ ecg: DigitisedECG, _ measurements: Measurements) {
        sampleRate = ecg.sampleRate
        pixelsPerMillimetre = ecg.layout.pixelsPerMillimetre
        pixelsPerSecond = ecg.layout.pixelsPerSecond
        calibrationPulsesFound = ecg.layout.pulsesFound
        millimetresPerMillivolt = ecg.layout.millimetresPerMillivolt
        rhythmLead = ecg.rhythm.name
        rhythmMatch = ecg.rhythmMatch
        var coverage: [String: Double] = [:]
        for lead in ecg.leads { coverage[lead.name] = lead.coverage }
        coverage["rhythm"] = ecg.rhythm.coverage
        leadCoverage = coverage
        unreadableLeads = (ecg.leads + [ecg.rhythm]).filter { !$0.readable }.map(\.name)
        quality = ecg.quality
        self.measurements = measurements
        featureNames = Measurements.featureNames
        features = measurements.featureVector
    }
}
