import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Server
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Headless Chromium driven through chromedriver's WebDriver API (plain HTTP and JSON).
///
/// See: https://www.w3.org/TR/webdriver2/
struct WebDriver {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static var available: Bool { chromium != nil && chromedriver != nil }
    /// The W3C key of an element reference.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let port: Int
    let session: String

    /// Starts a headless session on a running chromedriver.
    init(port: Int, windowWidth: Int, windowHeight: Int) async throws {
        self.port = port
        // chromedriver takes a moment to listen.
        for _ in 0..<100 where (try? RawConnection(port: port, timeoutSeconds: 1)) == nil {
            try await Task.sleep(for: .milliseconds(100))
        }
        let value = try await Self.call(port, "POST", "/session", [
            "capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": [
                "binary": Self.chromium!,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=\(windowWidth),\(windowHeight)"],
            ]]],
        ])
        session = try #require((value as? [String: Any])?["sessionId"] as? String)
    }

    /// One WebDriver command over a fresh HTTP/1.1 connection.
    ///
    /// NOTE: plain sockets rather than URLSession: swift-corelibs-foundation's URLSession fails
    /// on chromedriver's answers ("Failed writing header").
    private static func call(_ port: Int, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let connection = try RawConnection(port: port, timeoutSeconds: 60)
        connection.send(Array("""
            \(method) \(path) HTTP/1.1\r
            Host: 127.0.0.1:\(port)\r
            Content-Type: application/json\r
            Content-Length: \(payload.count)\r
            Connection: close\r
            \r

            """.utf8) + Array(payload))
        let answer = await connection.readResponse()
        guard let split = answer.range(of: "\r\n\r\n") else { throw WebDriverError(description: "no answer from chromedriver") }
        let json = try JSONSerialization.jsonObject(with: Data(answer[split.upperBound...].utf8)) as? [String: Any]
        if let value = json?["value"] as? [String: Any], let error = value["error"] as? String {
            throw WebDriverError(description: "\(error): \(value["message"] ?? "")")
        }
        return json?["value"]
    }

    @discardableResult
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.call(port, method, "/session/\(session)\(path)", body)
    }

    func open(_ url: String) async throws { try await call("POST", "/url", ["url": url]) }

    /// The first element matching a CSS selector (waiting up to the implicit timeout).
    func element(_ selector: String) async throws -> String {
        let value = try await call("POST", "/element", ["using": "css selector", "value": selector])
        return try #require((value as? [String: Any])?[Self.elementKey] as? String)
    }

    func elements(_ selector: String) async throws -> [String] {
        let value = try await call("POST", "/elements", ["using": "css selector", "value": selector])
        return (value as? [[String: Any]] ?? []).compactMap { $0[Self.elementKey] as? String }
    }

    func click(_ element: String) async throws { try await call("POST", "/element/\(element)/click", [:]) }
    func type(_ text: String, into element: String) async throws {
        try await call("POST", "/element/\(element)/value", ["text": text])
    }
    func text(_ element: String) async throws -> String {
        try await call("GET", "/element/\(element)/text") as? String ?? ""
    }
    func currentURL() async throws -> String { try await call("GET", "/url") as? String ?? "" }
    func screenshot() async throws -> Data {
        Data(base64Encoded: try await call("GET", "/screenshot") as? String ?? "") ?? Data()
    }
    func quit() async { _ = try? await Self.call(port, "DELETE", "/session/\(session)") }
}

struct WebDriverError: Error, CustomStringConvertible {
    let description: String
}

@Suite("Real browser (headless Chromium)", .serialized)
struct BrowserTests {
    @Test("Chromium opens the run page, uploads an image, picks a model, and shows the prediction in place",
          .enabled(if: WebDriver.available, "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"))
    func uploadAndPredict() async throws {
        try await withFixture { fixture in
            let server = try await fixture.server()
            let app = buildApplication(server, host: "127.0.0.1", port: 0, logger: Logger(label: "browser-test"))
            let image = repositoryRoot.appendingPathComponent("Sources/Server/Resources/static/example-ecg.png").path
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let driverPort = 20_000 + Int.random(in: 0..<20_000)
                let driver = Process()
                driver.executableURL = URL(fileURLWithPath: WebDriver.chromedriver!)
                driver.arguments = ["--port=\(driverPort)"]
                driver.standardOutput = FileHandle.nullDevice
                driver.standardError = FileHandle.nullDevice
                try driver.run()
                defer { kill(driver.processIdentifier, SIGKILL) }

                let browser = try await WebDriver(port: driverPort, windowWidth: 1280, windowHeight: 1000)
                do {
                    try await scenario(browser, port: port, image: image)
                } catch {
                    await browser.quit()
                    throw error
                }
                await browser.quit()
            }
            server.catalog.stop()
        }
    }

    /// Upload, pick the small CNN, classify, check what the page shows, save a screenshot.
    private func scenario(_ browser: WebDriver, port: Int, image: String) async throws {
        try await browser.call("POST", "/timeouts", ["implicit": 20_000])
        try await browser.open("http://127.0.0.1:\(port)/run")
        try await browser.type(image, into: browser.element("#image-input"))
        try await browser.click(browser.element("input[name=model][value=small_cnn]"))
        try await browser.click(browser.element("button[value=upload]"))

        let heading = try await browser.text(browser.element("#result-heading"))
        // Random weights often put two classes close together: then the answer is "Uncertain: A or B".
        #expect(heading.hasPrefix("Prediction: ") || heading.hasPrefix("Uncertain: "), "\(heading)")
        let bars = try await browser.elements("#result .bars li")
        var shown: [String] = []
        for bar in bars { shown.append(try await browser.text(bar)) }
        #expect(shown.count == 4)
        #expect(shown.allSatisfy { $0.range(of: #"\d+\.\d%$"#, options: .regularExpression) != nil }, "\(shown)")
        #expect(shown.contains { $0.hasPrefix("History of myocardial infarction") })
        #expect(try await browser.text(browser.element(".result-model")).contains("NOT TRAINED"))
        #expect(try await browser.currentURL().hasSuffix("/run"), "the result appeared in place")

        try await browser.call("POST", "/execute/sync", ["script": "window.scrollTo(0, 0)", "args": []])
        let screenshot = try await browser.screenshot()
        #expect(screenshot.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let folder = ProcessInfo.processInfo.environment["ECG_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("run-page-result.png")
        try screenshot.write(to: file)
        print("screenshot: \(file.path)")
    }
}
