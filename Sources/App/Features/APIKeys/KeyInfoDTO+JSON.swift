import Vapor

/// `GET /api/v1/organizer/key` written by `JSONWriter`: the answer every integration's health
/// check asks for, and the cheapest authenticated request there is, so its encoding shows. Through
/// `JSONEncoder` it was 6–9 % of the request's CPU (`scripts/bench --profile`). The `Encodable`
/// conformance stays what this must equal (`KeyInfoJSONTests` compares the two).
extension KeyInfoDTO {
    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("id", first: true); json.string(id)
        json.key("name"); json.string(name)
        json.key("preview"); json.string(preview)
        json.key("status"); json.string(status)
        json.key("description"); json.optionalString(description.value)
        json.key("created_at"); json.optionalDate(createdAt.value)
        json.key("expires_at"); json.optionalDate(expiresAt.value)
        json.key("team")
        json.raw("{")
        json.key("id", first: true); json.string(team.id)
        json.key("name"); json.string(team.name)
        json.key("slug"); json.string(team.slug)
        json.raw("}")
        json.key("granted"); json.wordOrList(granted)
        json.key("permissions"); json.strings(permissions)
        json.key("may_roll_itself"); json.bool(mayRollItself)
        json.key("events"); json.wordOrList(events)
        json.key("valid_from"); json.optionalDate(validFrom.value)
        json.key("valid_until"); json.optionalDate(validUntil.value)
        json.key("rate_limit")
        if let budget = rateLimit.value {
            json.raw("{")
            json.key("requests_per_minute", first: true); json.int(budget.requestsPerMinute)
            json.key("source"); json.string(budget.source)
            json.key("team_requests_per_minute"); json.int(budget.teamRequestsPerMinute.value)
            json.raw("}")
        } else {
            json.raw("null")
        }
        json.raw("}")
    }

    func response() -> Response {
        var json = JSONWriter(capacity: 1024)
        write(to: &json)
        return json.response(.ok)
    }
}

extension JSONWriter {
    mutating func optionalDate(_ value: Date?) {
        if let value { date(value) } else { raw("null") }
    }

    mutating func bool(_ value: Bool) {
        value ? raw("true") : raw("false")
    }

    mutating func strings(_ values: [String]) {
        raw("[")
        for (index, value) in values.enumerated() {
            if index > 0 { raw(",") }
            string(value)
        }
        raw("]")
    }

    mutating func wordOrList<Word>(_ value: WordOrList<Word>) {
        switch value {
        case .word: string(Word.word)
        case .list(let list): strings(list)
        }
    }
}
