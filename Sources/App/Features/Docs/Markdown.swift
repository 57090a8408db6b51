import Foundation

/// The little Markdown the document's descriptions use: paragraphs, `code` and **bold**,
/// everything else escaped.
enum Markdown {
    static func html(_ text: String) -> String {
        text.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.map
        { paragraph in
            "<p>" + inline(paragraph) + "</p>"
        }.joined(separator: "\n")
    }

    static func inline(_ text: String) -> String {
        var html = ""
        var code = false, bold = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "`" {
                html += code ? "</code>" : "<code>"
                code.toggle()
            } else if !code, character == "*", text[index...].hasPrefix("**") {
                html += bold ? "</strong>" : "<strong>"
                bold.toggle()
                index = text.index(after: index)
            } else {
                html += escape(character)
            }
            index = text.index(after: index)
        }
        if code { html += "</code>" }
        if bold { html += "</strong>" }
        return html
    }

    static func escape(_ character: Character) -> String {
        switch character {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        case "\"": "&quot;"
        case "'": "&#39;"
        default: String(character)
        }
    }
}
