import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Admin → Events in the browser")
struct EventsWebTests {
    static let form: [(String, String)] = [
        ("name", "Swift Summit"), ("description", "Talks & <b>workshops</b>"), ("starts_at", "2027-05-01T09:00"),
        ("ends_at", "2027-05-01T17:00"), ("timezone", "Europe/Berlin"), ("venue", "Kongresshaus"), ("capacity", "2"),
        ("status", "published"),
    ]

    @Test("an admin creates an event in the web UI and the API reads it back in the event's time zone")
    func createInWebReadInAPI() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            try await admin.get("/admin/events/new")
            let created = try await admin.post("/admin/events", Self.form)
            #expect(created.status == .seeOther)
            let path = try #require(created.headers.first(name: .location))
            try await admin.get(path)
            #expect(admin.lastPage.contains("<h1>Swift Summit</h1>"))
            #expect(admin.lastPage.contains("Talks &amp; &lt;b&gt;workshops&lt;/b&gt;"))
            #expect(admin.lastPage.contains("2027-05-01 09:00"))

            let api = try await app.api("/api/v1/organizer/events", key: key)
            let event = try #require((try api.json()["data"] as? [[String: Any]])?.first)
            // 09:00 in Berlin in May is 07:00 UTC.
            #expect((event["starts_at"] as? String).flatMap(RFC3339.parse) == RFC3339.parse("2027-05-01T07:00:00Z"))
            #expect(event["capacity"] as? Int == 2)
        }
    }

    @Test("the web form shows every problem at once, next to its field, in its labels' words, and creates nothing")
    func problemsInPlace() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            try await admin.get("/admin/events/new")
            var form = Self.form.filter { !["name", "ends_at", "capacity"].contains($0.0) }
            form += [("name", " "), ("ends_at", "2027-05-01T08:00"), ("capacity", "lots")]
            let response = try await admin.post("/admin/events", form)
            #expect(response.status == .unprocessableEntity)
            let page = admin.lastPage
            #expect(page.contains("There are 3 problems"))
            #expect(page.contains(#"<p class="field-error" id="event-ends-error">End must be after start.</p>"#))
            #expect(page.contains(#"<p class="field-error" id="event-name-error">Enter the event’s name.</p>"#))
            #expect(page.contains(#"id="event-capacity-error">Capacity must be a whole number"#))
            #expect(page.contains(##"<a href="#event-ends">End must be after start.</a>"##))
            #expect(page.contains(#"aria-invalid="true" aria-describedby="event-ends-error""#))
            #expect(!page.contains("ends_at must be after starts_at"))
            // What was typed comes back.
            #expect(page.contains(#"value="2027-05-01T08:00""#))
            let badZone = try await admin.post(
                "/admin/events", Self.form.filter { $0.0 != "timezone" } + [("timezone", "Mars/Olympus")])
            #expect(badZone.status == .unprocessableEntity)
            #expect(admin.lastPage.contains("Choose a time zone from the list, like Europe/Berlin."))
            #expect(try await StoredEvents.count(app) == 0)
        }
    }

    @Test("the API keeps its field names for the same rule")
    func apiKeepsFieldNames() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            let response = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key,
                json: [
                    "name": "X", "starts_at": "2027-05-01T09:00:00Z", "ends_at": "2027-05-01T08:00:00Z",
                    "timezone": "UTC",
                ])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("ends_at must be after starts_at."))
            #expect(!response.text.contains("End must be after start"))
            #expect(!response.text.contains("formMessage"))
        }
    }

    @Test("an attendee's problems are shown next to the add-attendee form's fields")
    func attendeeProblemsInPlace() async throws {
        try await withKagibag { app in
            let (admin, path) = try await Self.adminWithEvent(app)
            let response = try await admin.post(
                path + "/attendees", [("name", ""), ("email", "not-an-address"), ("ticket_type", "general")])
            #expect(response.status == .unprocessableEntity)
            #expect(admin.lastPage.contains(#"id="attendee-name-error">Enter the attendee’s name.</p>"#))
            #expect(
                admin.lastPage.contains(
                    #"id="attendee-email-error">Enter a valid email address, like ada@example.com.</p>"#))
        }
    }

    @Test("an organizer adds attendees until the event is full, then cancels one")
    func attendeesAndCapacity() async throws {
        try await withKagibag { app in
            let (admin, path) = try await Self.adminWithEvent(app)
            for name in ["Ada", "Grace"] {
                #expect(
                    try await admin.post(
                        "\(path)/attendees", [("name", name), ("email", "\(name.lowercased())@example.com")]
                    ).status == .seeOther)
            }
            let full = try await admin.post("\(path)/attendees", [("name", "Linus"), ("email", "linus@example.com")])
            #expect(full.status == .conflict)
            #expect(admin.lastPage.contains("This event is full"))
            let ada = try #require(try await Attendee.query(on: app.db).filter(\.$email == "ada@example.com").first())
            // Without the confirmation the answer asks first and changes nothing.
            let cancelPath = "\(path)/attendees/\(ada.id!.uuidString.lowercased())/cancel"
            let asked = try await admin.post(cancelPath)
            #expect(asked.status == .ok)
            #expect(admin.lastPage.contains("<h1>Cancel the registration of Ada?</h1>"))
            #expect(admin.lastPage.contains(#"<input type="hidden" name="confirmed" value="yes">"#))
            #expect(admin.lastPage.contains(#"autofocus>Keep registration</a>"#))
            #expect(try await Attendee.find(ada.id, on: app.db)?.status == .registered)
            #expect(try await admin.post(cancelPath, [("confirmed", "yes")]).status == .seeOther)
            #expect(try await Attendee.find(ada.id, on: app.db)?.status == .cancelled)
            #expect(
                try await admin.post("\(path)/attendees", [("name", "Linus"), ("email", "linus@example.com")]).status
                    == .seeOther)
            try await admin.get(path)
            #expect(admin.lastPage.contains("2 of 2"))
        }
    }

    @Test("members see events read-only; another team's event is not found")
    func membersAndOtherTeams() async throws {
        try await withKagibag { app in
            let admin = Browser(app), member = Browser(app), stranger = Browser(app)
            let memberAccount = Browser.newAccount(team: "Elsewhere")
            try await admin.signUp(Browser.newAccount(team: "Acme"))
            try await member.signUp(memberAccount)
            try await stranger.signUp(Browser.newAccount(team: "Rival"))
            try await admin.get("/admin/team")
            try await member.joinTeam(of: admin, email: memberAccount.email)
            try await admin.get("/admin/events/new")
            let path = try #require(try await admin.post("/admin/events", Self.form).headers.first(name: .location))
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme").first()?.id)
            try await member.get("/admin/team")
            try await member.post("/team/switch", [("team", teamID.uuidString)])

            try await member.get(path)
            #expect(member.lastPage.contains("<h1>Swift Summit</h1>"))
            #expect(!member.lastPage.contains("Add attendee"))
            #expect(try await member.post("\(path)/cancel").status == .forbidden)
            #expect(
                try await member.post("\(path)/attendees", [("name", "X"), ("email", "x@example.com")]).status
                    == .forbidden)

            #expect(try await stranger.get(path).status == .notFound)
            #expect(try await stranger.post("\(path)/cancel").status == .notFound)
            let event = try #require(try await StoredEvents.all(app).first)
            #expect(event.status == .published)
            #expect(try await Attendee.query(on: app.db).count() == 0)
        }
    }

    @Test("an admin cancels an event, which then takes no registrations")
    func cancelEvent() async throws {
        try await withKagibag { app in
            let (admin, path) = try await Self.adminWithEvent(app)
            #expect(try await admin.post("\(path)/cancel").status == .seeOther)
            try await admin.get(path)
            #expect(admin.lastPage.contains(#"<dd id="event-status">Cancelled</dd>"#))
            #expect(
                try await admin.post("\(path)/attendees", [("name", "Ada"), ("email", "ada@example.com")]).status
                    == .conflict)
            #expect(admin.lastPage.contains("takes no registrations"))
            #expect(try await Attendee.query(on: app.db).count() == 0)
        }
    }

    /// A new admin who has just created `form`'s event in the web UI and is looking at it.
    static func adminWithEvent(_ app: Application) async throws -> (Browser, String) {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount())
        try await admin.get("/admin/events/new")
        let path = try #require(try await admin.post("/admin/events", form).headers.first(name: .location))
        try await admin.get(path)
        return (admin, path)
    }
}
