import Testing
import Vapor

@testable import App

@Suite("Bearer challenges and the Authorization header")
struct BearerChallengeTests {
    @Test("the challenge header is printable ASCII and still reads like the problem's detail")
    func challengeHeaderIsSafe() {
        #expect(
            BearerChallenge.paused.challenge
                == #"Bearer realm="kagibag", error="invalid_token", error_description="The API key is paused. An admin of its team can resume it under Admin > Team > API Keys.""#
        )
        #expect(BearerChallenge.paused.detail.contains("Admin → Team → API Keys"))
        #expect(BearerChallenge.headerSafe("say “hi” \"there\" \\ now\u{7}\n🎉") == "say 'hi' 'there' / now")
        // Scalar by scalar: a quote with a combining mark on it still cannot end the quoted string.
        #expect(BearerChallenge.headerSafe("\"\u{301}") == "'")
        #expect(BearerChallenge.missing.challenge == #"Bearer realm="kagibag""#)
        let scoped = BearerChallenge.insufficient(.eventsWrite, teamHolds: true)
        #expect(scoped.challenge.hasSuffix(#", scope="events:write""#))
        #expect(scoped.headers.first(name: "WWW-Authenticate") == scoped.challenge)
    }

    @Test("the token is read from one Bearer header, whatever the scheme's case and the surrounding blanks")
    func tokenFromHeader() throws {
        func token(_ values: String...) throws -> String {
            var headers = HTTPHeaders()
            for value in values { headers.add(name: .authorization, value: value) }
            return try APIKeyAuthenticator.bearerToken(in: headers)
        }
        func refusal(_ values: String...) -> BearerChallenge.Code?? {
            var headers = HTTPHeaders()
            for value in values { headers.add(name: .authorization, value: value) }
            do {
                _ = try APIKeyAuthenticator.bearerToken(in: headers)
                return nil
            } catch let challenge as BearerChallenge {
                return .some(challenge.code)
            } catch {
                return nil
            }
        }
        #expect(try token("Bearer kgb_abc") == "kgb_abc")
        #expect(try token(" \tbearer kgb_abc\t ") == "kgb_abc")
        #expect(try token("BEARER kgb_abc") == "kgb_abc")
        #expect(refusal() == .some(nil))
        #expect(refusal("Basic dXNlcjpwYXNz") == .some(nil))
        #expect(refusal("  ") == .some(nil))
        #expect(refusal("Bearer") == .some(.invalidRequest))
        #expect(refusal("Bearer  kgb_abc") == .some(.invalidRequest))
        #expect(refusal("Bearer kgb_abc, kgb_def") == .some(.invalidRequest))
        #expect(refusal("Bearer a", "Bearer b") == .some(.invalidRequest))
    }
}
