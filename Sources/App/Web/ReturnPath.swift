import Vapor

/// Where a banner's Dismiss goes back to: a path of this site's Admin pages, or nil (never
/// another site, a protocol-relative address or anything with spaces or control characters).
enum ReturnPath {
    static func safe(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/admin"), path.count <= 300,
            !path.contains("//"), !path.contains("\\"),
            !path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " })
        else { return nil }
        return path
    }
}

/// The form a banner's Dismiss button posts: where to go back to (checked by `ReturnPath.safe`).
struct DismissForm: Content {
    var returnTo: String?

    enum CodingKeys: String, CodingKey {
        case returnTo = "return_to"
    }
}
