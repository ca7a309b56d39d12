import Datasets
import Foundation
import ImageIO
import ReportFormat
@testable import Synth
import Testing

@Suite("Rendered report pages")
struct PageTests {
    /// A small page (about 2.5 px/mm) keeps the tests fast.
    static let small = PageOptions(width: 700, height: 497)

    @Test("the same seed and index give the same file; another index another page")
    func deterministic() throws {
        let a = try SyntheticPage.make(.myocardialInfarction, seed: 3, index: 1, options: Self.small)
        let b = try SyntheticPage.make(.myocardialInfarction, seed: 3, index: 1, options: Self.small)
        let c = try SyntheticPage.make(.myocardialInfarction, seed: 3, index: 2, options: Self.small)
        #expect(a.file == b.file && a.sidecar == b.sidecar)
        #expect(a.file != c.file)
    }

    @Test("5-mm grid lines are 0.2 s of paper apart at 25 mm/s, at the data set's resolutions", arguments: [(1106, 786), (2213, 1572)])
    func gridSpacing(width: Int, height: Int) throws {
        let page = try SyntheticPage.make(.normal, seed: 1, index: 1, options: PageOptions(width: width, height: height, noiseScale: 0))
        let layout = PageLayout(width: width, height: height)
        #expect(abs(page.sidecar.pixelsPerSecond - 25 * layout.scale) < 1e-9)
        // Darkness per column over the band under the rhythm strip, where only the grid is.
        let top = Int(layout.y(ReportGeometry.baseline(row: 3) + 9)), bottom = Int(layout.y(ReportGeometry.gridTop + ReportGeometry.gridHeight - 1))
        let left = Int(layout.x(ReportGeometry.gridLeft + 2)), right = Int(layout.x(ReportGeometry.gridLeft + ReportGeometry.gridWidth - 2))
        let darkness = (left...right).map { x in
            (top...bottom).reduce(0.0) { sum, y in sum + 255 - Double(page.image.pixel(x: x, y: y).green) }
        }
        // Smoothed over three columns, so that a line falling between two columns still stands out.
        let smooth = darkness.indices.map { i in darkness[max(i - 1, 0)] + darkness[i] + darkness[min(i + 1, darkness.count - 1)] }
        let threshold = (smooth.sorted()[smooth.count / 2] + smooth.max()!) / 2
        var lines: [Double] = []  // weighted centres of runs of dark columns
        var run: [Int] = []
        for i in smooth.indices {
            if smooth[i] > threshold { run.append(i) }
            if smooth[i] <= threshold && !run.isEmpty {
                let weight = run.reduce(0) { $0 + smooth[$1] }
                if run.first! > 0 { lines.append(run.reduce(0) { $0 + Double($1) * smooth[$1] } / weight) }
                run = []
            }
        }
        let gaps = zip(lines.dropFirst(), lines).map { $0 - $1 }
        let expected = page.sidecar.pixelsPerSecond * 0.2
        #expect(gaps.count > 40)
        #expect(gaps.allSatisfy { abs($0 - expected) <= 1.01 }, "expected \(expected) px, got \(gaps)")
        let mean = (lines.last! - lines.first!) / Double(gaps.count)
        #expect(abs(mean - expected) < 0.05)
    }

    @Test("every lead's box lies inside the image, and its trace is drawn where the sidecar's scales put it")
    func leadBoxes() throws {
        let page = try SyntheticPage.make(.abnormalHeartbeat, seed: 2, index: 5, options: Self.small)
        let leads = page.sidecar.leads
        #expect(leads.count == 13)
        #expect(Set(leads.prefix(12).map(\.lead)) == Set(Lead.allCases))
        #expect(leads[12].lead == page.sidecar.style.rhythmLead && leads[12].durationSeconds == 10)
        for lead in leads {
            let (x, y, w, h) = (lead.box[0], lead.box[1], lead.box[2], lead.box[3])
            #expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= page.image.width && y + h <= page.image.height)
            // Sample by sample: time runs at pixels-per-second from the box's left edge, voltage at
            // pixels-per-millivolt up from the baseline; the ink must be there.
            let samples = page.signal[lead.lead]
            for column in stride(from: x + 4, to: x + w - 2, by: 5) {
                let time = lead.startSeconds + (Double(column) + 0.5 - lead.corners[0][0]) / page.sidecar.pixelsPerSecond
                let volts = Double(samples[min(Int(time * ECGSignal.sampleRate), samples.count - 1)])
                let row = Int(lead.baseline[0][1] - volts * page.sidecar.pixelsPerMillivolt)
                guard row > 2, row < page.image.height - 3 else { continue }
                let darkest = (row - 2...row + 2).map { Int(page.image.pixel(x: column, y: $0).green) }.min()!
                #expect(darkest < 110, "\(lead.lead) at \(time) s, pixel (\(column), \(row))")
            }
        }
    }

    @Test("with every artefact, boxes stay inside the image and the page is a JPEG of the right size")
    func artefacts() throws {
        let options = PageOptions(width: 700, height: 497, artefacts: Set(ArtefactKind.allCases))
        for index in 1...3 {
            let page = try SyntheticPage.make(.historyOfMyocardialInfarction, seed: 4, index: index, options: options)
            #expect(page.fileExtension == "jpg" && page.sidecar.format == "jpeg")
            let decoded = try ImageDecoder.decode(page.file)
            #expect(decoded.width == 700 && decoded.height == 497)
            let a = page.sidecar.artefacts
            #expect(a.rotation != 0 && a.perspective.count == 8 && a.blur > 0 && a.texture > 0 && a.gridRecoloured)
            for lead in page.sidecar.leads {
                #expect(lead.box[0] >= 0 && lead.box[1] >= 0 && lead.box[0] + lead.box[2] <= 700 && lead.box[1] + lead.box[3] <= 497)
                #expect(lead.corners.joined().allSatisfy { $0 > 0 && $0 < 700 })
            }
            // The corner of the image lies off the page: the background shows there.
            #expect(page.image.pixel(x: 0, y: 0) != page.image.pixel(x: 350, y: 250))
        }
    }

    @Test("the sidecar records the label and parameters, and reads back")
    func sidecar() throws {
        let page = try SyntheticPage.make(.myocardialInfarction, seed: 7, index: 3, options: Self.small)
        let json = try page.sidecar.jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["label"] as? String == "Myocardial_Infarction")
        #expect(object["synthetic"] as? Bool == true)
        let signal = try #require(object["signal"] as? [String: Any])
        #expect(signal["territory"] is String && (signal["st_elevation"] as? Double ?? 0) > 0)
        #expect((object["leads"] as? [Any])?.count == 13)
        #expect(try PageSidecar.decode(json) == page.sidecar)
        #expect(page.sidecar.beats == page.signal.beats.map { Beat(time: ($0.time * 1000).rounded() / 1000, kind: $0.kind) })
    }

    @Test("a written data set is one folder per class, the same on one thread or two")
    func dataset() throws {
        try withTemporaryDirectory { directory in
            let one = directory.appendingPathComponent("one"), two = directory.appendingPathComponent("two")
            let classes: [ECGClass] = [.normal, .abnormalHeartbeat]
            try SynthDataset.write(to: one, count: 2, classes: classes, seed: 5, options: Self.small, threads: 1)
            try SynthDataset.write(to: two, count: 2, classes: classes, seed: 5, options: Self.small, threads: 2)
            let folder = try ImageFolder(directory: one)
            #expect(folder.classes == ["Abnormal_Heartbeat", "Normal"])
            #expect(folder.files.map(\.url.lastPathComponent) == ["synthetic-1.png", "synthetic-2.png", "synthetic-1.png", "synthetic-2.png"])
            for file in folder.files {
                let path = file.url.path.replacingOccurrences(of: one.path, with: two.path)
                #expect(try Data(contentsOf: file.url) == Data(contentsOf: URL(fileURLWithPath: path)))
                let sidecar = try PageSidecar.decode(Data(contentsOf: file.url.deletingPathExtension().appendingPathExtension("json")))
                #expect(sidecar.label.rawValue == folder.classes[file.label])
            }
        }
    }
}
