import Testing
import VigilConfig

/// `${VAR}`, `${VAR:-default}` and `$$` in scalar values.
@Suite("Environment interpolation")
struct EnvironmentInterpolationTests {
    let interpolation = EnvironmentInterpolation(environment: ["HOST": "cam.local", "PORT": "554", "EMPTY": "",
                                                               "DOLLAR": "$x", "BRACES": "${HOST}"])

    @Test(arguments: [
        ("plain text", "plain text"), ("", ""),
        ("rtsp://${HOST}:${PORT}/live", "rtsp://cam.local:554/live"),
        ("${HOST}${PORT}", "cam.local554"),
        ("${MISSING:-fallback}", "fallback"), ("${HOST:-fallback}", "cam.local"),
        ("${EMPTY:-fallback}", "fallback"), ("${EMPTY}", ""), ("${MISSING:-}", ""),
        ("${MISSING:-a:-b}", "a:-b"), ("${MISSING:-${HOST}}", "cam.local"), ("${MISSING:-${OTHER:-x}y}", "xy"),
        ("${MISSING:-$$}", "$"), ("${MISSING:-$${HOST}}", "${HOST}"),
        ("$$", "$"), ("$$$$", "$$"), ("$${HOST}", "${HOST}"), ("$$${HOST}", "$cam.local"), ("cost: 5$", "cost: 5$"),
        ("$HOST", "$HOST"), ("a $ b", "a $ b"), ("${HOST}}", "cam.local}"),
        ("${DOLLAR}", "$x"), ("${BRACES}", "${HOST}"),   // values are not interpolated again
        ("${HOST_1:-ok}", "ok"), ("😀${HOST}😀", "😀cam.local😀"),
    ])
    func substitutes(text: String, expected: String) {
        #expect(interpolation.apply(text) == .success(expected), "\(text)")
    }

    @Test(arguments: [
        ("${MISSING}", EnvironmentInterpolation.Failure.unset("MISSING")),
        ("rtsp://${HOST}/${CAMERA}", .unset("CAMERA")),
        ("${MISSING:-${ALSO_MISSING}}", .unset("ALSO_MISSING")),
        ("${HOST", .malformed), ("${", .malformed), ("${}", .malformed), ("${:-x}", .malformed),
        ("${HO ST}", .malformed), ("${HOST-x}", .malformed), ("${A.B}", .malformed), ("${MISSING:-${X}", .malformed),
    ])
    func reportsUnsetAndMalformedReferences(text: String, failure: EnvironmentInterpolation.Failure) {
        #expect(interpolation.apply(text) == .failure(failure), "\(text)")
    }

    @Test func listsTheReferencedVariablesWithTheirDefaults() {
        let text = """
            a: ${A:-0.75} and again ${A:-9}, $${NOT_A}, $$
            b: "${B}" ${C:-${D:-x}y} ${E:-}
            """
        let found = EnvironmentInterpolation.references(in: text)
        #expect(found.map(\.name) == ["A", "B", "C", "D", "E"])
        #expect(found.map(\.fallback) == ["0.75", nil, "${D:-x}y", "x", ""])
    }
}
