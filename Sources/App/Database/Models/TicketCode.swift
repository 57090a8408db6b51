/// An attendee's ticket code: 12 characters of Crockford's base 32 (no I, L, O or U), 60 bits
/// from the system's CSPRNG, so a door app can check a ticket in by scanning or typing it and
/// nobody can guess one (the check-in endpoint also limits failed codes per key).
enum TicketCode {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    static let length = 12

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt8(alphabet.count)))] })
    }

    /// A code as people type or scanners read it: case, spaces and hyphens ignored, and the
    /// letters Crockford's alphabet leaves out read as the digits they look like (O → 0, I/L → 1).
    /// Nil when it cannot be a code.
    static func normalise(_ raw: String) -> String? {
        guard raw.utf8.count <= 64 else { return nil }
        var code = ""
        for character in raw.uppercased() where character != " " && character != "-" {
            switch character {
            case "O": code.append("0")
            case "I", "L": code.append("1")
            case _ where alphabet.contains(character): code.append(character)
            default: return nil
            }
        }
        return code.count == length ? code : nil
    }
}
