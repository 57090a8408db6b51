import Fluent
import Foundation

extension Team {
    /// A URL- and shell-friendly identifier made from the name: `Acme Events!` → `acme-events`.
    static func baseSlug(for name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug.append("-")
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return slug.isEmpty ? "team" : String(slug.prefix(40))
    }

    /// The base slug, or the first free `base-N`.
    static func uniqueSlug(for name: String, on database: any Database) async throws -> String {
        let base = baseSlug(for: name)
        let taken = Set(
            try await Team.query(on: database)
                .group(.or) { $0.filter(\.$slug == base).filter(\.$slug, .custom("LIKE"), "\(base)-%") }
                .all(\.$slug))
        if !taken.contains(base) { return base }
        var number = 2
        while taken.contains("\(base)-\(number)") { number += 1 }
        return "\(base)-\(number)"
    }
}
