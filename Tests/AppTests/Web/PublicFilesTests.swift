import Foundation
import Testing
import VaporTesting

@testable import App

@Suite("The stylesheet and script in Public/")
struct PublicFilesTests {
    @Test("are served with their type, an ETag and five minutes of freshness, and a browser that has them gets a 304")
    func servedWithETag() async throws {
        try await withKagibag { app in
            let onDisk = try #require(FileManager.default.contents(atPath: app.directory.publicDirectory + "style.css"))
            let response = try await app.testing().sendRequest(.GET, "/style.css")
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.subType == "css")
            #expect(Data(buffer: response.body) == onDisk)
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(response.headers.first(name: .cacheControl) == "public, max-age=300")
            let etag = try #require(response.headers.first(name: .eTag))

            for sent in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                let cached = try await app.testing().sendRequest(.GET, "/style.css", headers: ["If-None-Match": sent])
                #expect(cached.status == .notModified, "\(sent)")
                #expect(cached.body.readableBytes == 0)
                #expect(cached.headers.first(name: .eTag) == etag)
            }
            let changed = try await app.testing().sendRequest(
                .GET, "/style.css", headers: ["If-None-Match": "\"other\""])
            #expect(changed.status == .ok)

            let script = try await app.testing().sendRequest(.GET, "/app.js")
            #expect(script.status == .ok)
            #expect(script.headers.contentType?.subType == "javascript")
            #expect(script.headers.first(name: .eTag) != etag)
        }
    }

    @Test(
        "nothing else is served from the folder or beside it",
        arguments: ["/style.css/", "/Style.css", "/../Package.swift", "/%2e%2e/Package.swift", "/"])
    func nothingElse(path: String) async throws {
        try await withKagibag { app in
            let response = try await app.testing().sendRequest(.GET, path)
            #expect(response.headers.contentType?.subType != "css")
            #expect(!response.text.contains("swift-tools-version"))
        }
    }
}
