import Foundation
import Testing

@testable import App

@Suite("Templates take every path from SitePath")
struct TemplatePathsTests {
    @Test("no template spells a path of the site: every href, action and src comes from the context")
    func noLiteralPaths() throws {
        let views = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../Sources/App/Resources/Views").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: views.path).filter { $0.hasSuffix(".leaf") }
        #expect(files.count > 20)
        let literal = try Regex(#"(href|action|src|formaction)\s*=\s*["']?/"#)
        var found: [String] = []
        for file in files {
            let text = try String(contentsOf: views.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains(literal) {
                found.append("\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces).prefix(120))")
            }
        }
        #expect(found.isEmpty, "\(found.joined(separator: "\n"))")
    }

    @Test("the paths the templates get are the routes the server registers")
    func pathsAreRoutes() async throws {
        try await withKagibag { app in
            let registered = Set(app.routes.all.map { "/" + $0.path.map(\.description).joined(separator: "/") })
            let mirror = Mirror(reflecting: SitePaths.shared)
            for child in mirror.children {
                let path = try #require(child.value as? String)
                // The shipped files are served by PublicFilesMiddleware, not by routes.
                if path == SitePath.stylesheet.path || path == SitePath.script.path { continue }
                #expect(registered.contains(path == "/" ? "/" : path), "\(child.label ?? "?"): \(path)")
            }
        }
    }
}
