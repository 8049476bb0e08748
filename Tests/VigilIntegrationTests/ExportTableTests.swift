import Foundation
import Testing
import VigilCore
import VigilStore
import VigilTesting

/// `vigil export tracks|events|aggregates` of a real run, re-imported into PostgreSQL (through psql, in
/// another session time zone) and compared with the rows in the database: every column, type, NULL and
/// time (to the millisecond the formats carry), labels and messages with commas, quotes, line breaks and
/// non-ASCII text.
@Suite("Export tables (CLI)") struct ExportTableTests {
    struct Table: Sendable, CustomTestStringConvertible {
        var command: [String]
        /// Column definitions of the re-import table.
        var columns: String
        /// The rows expected, straight from the tables, times truncated to milliseconds.
        var expected: String
        var testDescription: String { command.joined(separator: " ") }
    }

    static let trackPoints = Table(
        command: ["tracks"],
        columns: """
            time timestamptz, camera text, run_id bigint, frame_index int, media_time float8, track_id int, global_id int,
            class_id int, label text, state text, x float8, y float8, w float8, h float8, score float8, map_x float8, map_y float8
            """,
        expected: """
            SELECT date_trunc('milliseconds', p.time), c.name, p.run_id, p.frame_index, p.media_time, p.track_id, p.global_id,
                   p.class_id, p.label, p.state, p.x, p.y, p.w, p.h, p.score, p.map_x, p.map_y
            FROM track_points p JOIN cameras c ON c.id = p.camera_id
            """)
    static let tracks = Table(
        command: ["tracks", "--rows", "tracks"],
        columns: """
            run_id bigint, camera text, track_id int, global_id int, class_id int, label text, first_seen timestamptz,
            last_seen timestamptz, duration float8, points bigint, path_length float8, last_x float8, last_y float8
            """,
        expected: """
            SELECT t.run_id, c.name, t.track_id, t.global_id, t.class_id, t.label, date_trunc('milliseconds', t.first_seen),
                   date_trunc('milliseconds', t.last_seen), t.duration, t.points, t.path_length, t.last_x, t.last_y
            FROM tracks t JOIN cameras c ON c.id = t.camera_id
            """)
    static let identities = Table(
        command: ["tracks", "--rows", "identities"],
        columns: "run_id bigint, global_id int, first_seen timestamptz, last_seen timestamptz, cameras jsonb",
        expected: """
            SELECT i.run_id, i.global_id, date_trunc('milliseconds', i.first_seen), date_trunc('milliseconds', i.last_seen),
                   (SELECT jsonb_agg(k.name ORDER BY k.name) FROM cameras k WHERE k.id = ANY(i.cameras))
            FROM identities i
            """)
    static let events = Table(
        command: ["events"],
        columns: """
            time timestamptz, camera text, run_id bigint, media_time float8, rule text, kind text, severity text, track_id int,
            global_id int, zone text, message text, attributes jsonb, evidence jsonb, acknowledged bool, alert_id text,
            phase text, ended_at timestamptz, end_media_time float8, duration float8, value float8, peak_value float8
            """,
        expected: """
            SELECT date_trunc('milliseconds', e.time), c.name, e.run_id, e.media_time, e.rule, e.kind, e.severity, e.track_id,
                   e.global_id, e.zone, e.message, e.attributes, to_jsonb(e.evidence), e.acknowledged, e.alert_id, e.phase,
                   date_trunc('milliseconds', e.ended_at), e.end_media_time, e.duration, e.value, e.peak_value
            FROM events e JOIN cameras c ON c.id = e.camera_id
            """)
    static let aggregates = Table(
        command: ["aggregates"],
        columns: "time timestamptz, camera text, run_id bigint, window_seconds float8, name text, value float8, dimensions jsonb",
        expected: """
            SELECT date_trunc('milliseconds', a.time), c.name, a.run_id, a.window_seconds, a.name, a.value, a.dimensions
            FROM aggregates a JOIN cameras c ON c.id = a.camera_id
            """)

    static let tables = [trackPoints, tracks, identities, events, aggregates]

    /// Loads `file` (written as `format`) into a temporary table and returns
    /// (rows imported, rows expected, rows in one but not the other).
    static func reimport(_ file: String, format: String, table: Table, url: DatabaseURL) throws -> (Int, Int, Int) {
        let load: String
        switch format {
        case "csv":
            load = "\\copy imported FROM '\(file)' WITH (FORMAT csv, HEADER true)"
        default:
            // Lines as they are (no COPY escapes), then JSON parsed by PostgreSQL into the typed record.
            load = """
                CREATE TEMP TABLE raw (n serial, line text);
                \\copy raw (line) FROM '\(file)' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
                INSERT INTO imported SELECT (jsonb_populate_record(null::imported, line::jsonb)).*
                FROM raw WHERE '\(format)' = 'jsonl' AND line <> '';
                INSERT INTO imported SELECT * FROM jsonb_populate_recordset(null::imported,
                    (SELECT string_agg(line, E'\\n' ORDER BY n) FROM raw)::jsonb) WHERE '\(format)' = 'json';
                """
        }
        let out = try ExportFixture.psql(url, """
            SET timezone = 'America/New_York';
            CREATE TEMP TABLE imported (\(table.columns));
            \(load)
            SELECT count(*) FROM imported;
            SELECT count(*) FROM (\(table.expected)) e;
            SELECT count(*) FROM ((SELECT * FROM imported EXCEPT ALL \(table.expected))
                                  UNION ALL (\(table.expected) EXCEPT ALL SELECT * FROM imported)) d;
            """, environment: ["PGTZ": "Asia/Kolkata"])
        let numbers = out.compactMap { Int($0) }
        guard numbers.count == 3 else { throw ChildProcessError("unexpected psql output \(out)") }
        return (numbers[0], numbers[1], numbers[2])
    }

    @Test(arguments: ["csv", "jsonl", "json"], tables)
    func reimportedEqualsTheDatabase(format: String, table: Table) async throws {
        let run = try await ExportFixture.run()
        let file = run.directory + "/\(table.command.joined(separator: "-")).\(format)"
        let result = try await ExportFixture.export(table.command + ["--format", format, "--out", file], url: run.url)
        #expect(result.status == 0, "\(result.stderr)")
        let (imported, expected, differing) = try Self.reimport(file, format: format, table: table, url: run.url)
        #expect(expected > 0, "the run wrote no \(table.command) rows")
        #expect(imported == expected)
        #expect(differing == 0)
        #expect(!FileManager.default.fileExists(atPath: run.directory + "/.\(URL(fileURLWithPath: file).lastPathComponent).partial"))
    }

    /// The `export` sink of the same run wrote what the postgres sink wrote: the same track points, in the
    /// same columns (without a run id: a live export has none).
    @Test func exportSinkOfTheRunningPipelineEqualsTheDatabaseRows() async throws {
        let run = try await ExportFixture.run()
        let live = run.directory + "/live/points.csv"
        let table = Table(command: [], columns: Self.trackPoints.columns,
                          expected: Self.trackPoints.expected.replacingOccurrences(of: "p.run_id", with: "NULL::bigint")
                              + " WHERE p.track_id <> 9999")
        let (imported, expected, differing) = try Self.reimport(live, format: "csv", table: table, url: run.url)
        #expect(expected > 100 && imported == expected && differing == 0, "\(imported) rows, \(expected) expected, \(differing) differ")
        // Events: one line per alert phase; every alert of the database has its start line.
        let lines = try String(contentsOfFile: run.directory + "/live/events.jsonl", encoding: .utf8).split(separator: "\n")
        let starts = lines.compactMap { line -> String? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["phase"] as? String == "start" ? object?["alert_id"] as? String : nil
        }
        let ids = try ExportFixture.psql(run.url, "SELECT alert_id FROM events WHERE alert_id IS NOT NULL ORDER BY 1")
        #expect(!ids.isEmpty && starts.sorted() == ids)
    }

    @Test func theFixtureHasWhatTheFormatsMustCarry() async throws {
        let run = try await ExportFixture.run()
        let facts = try ExportFixture.psql(run.url, """
            SELECT count(*) FILTER (WHERE global_id IS NOT NULL) > 0, count(*) FILTER (WHERE map_x IS NOT NULL) > 0,
                   count(*) FILTER (WHERE map_x IS NULL) > 0 FROM track_points;
            SELECT count(*) FILTER (WHERE message LIKE '%«walkway», track "%') > 0 FROM events;
            """)
        #expect(facts == ["t|t|t", "t"])
    }

    @Test func csvIsRFC4180WithISOTimesAndEmptyNulls() async throws {
        let run = try await ExportFixture.run()
        let file = run.directory + "/rfc.csv"
        let result = try await ExportFixture.export(["tracks", "--format", "csv", "--out", file], url: run.url)
        #expect(result.status == 0, "\(result.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.hasPrefix("time,camera,run_id,frame_index,media_time,track_id,global_id,class_id,label,state,x,y,w,h,score,map_x,map_y\r\n"))
        #expect(text.contains("\"Fußgänger, \"\"groß\"\"\nzweite Zeile\""))
        // The origin 2024-03-10T23:59:58+02:00 is 21:59:58 UTC; the first row is the earliest point, in UTC.
        let first = text.split(separator: "\r\n")[1]
        let earliest = try ExportFixture.psql(run.url, """
            SELECT to_char(min(time) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM track_points
            """, environment: ["PGTZ": "Europe/Paris"])
        #expect(earliest[0].hasPrefix("2024-03-10T21:59:5") && first.hasPrefix(earliest[0] + ",plaza,"), "\(first) vs \(earliest)")
        #expect(text.contains(",tentative,0.1,1e-07,12345678.9,0,0.3333333333333333,,\r\n"))
    }

    @Test func theSameQueryGivesTheSameBytes() async throws {
        let run = try await ExportFixture.run()
        for format in ["csv", "json", "geojson"] {
            var files: [Data] = []
            for n in 0..<2 {
                let file = run.directory + "/same-\(n).\(format)"
                let result = try await ExportFixture.export(["tracks", "--format", format, "--out", file], url: run.url)
                #expect(result.status == 0, "\(result.stderr)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: file)))
            }
            #expect(files[0] == files[1] && !files[0].isEmpty, "\(format)")
        }
    }

    @Test func motExportScoresMOTA1AgainstTheRunsRows() async throws {
        let run = try await ExportFixture.run()
        let folder = run.directory + "/mot"
        let result = try await ExportFixture.export(["tracks", "--format", "mot", "--camera", "plaza", "--class", "person",
                                                     "--out", folder], url: run.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["plaza.txt"])
        let records = try MOTChallenge.read(contentsOf: folder + "/plaza.txt")
        let rows = try ExportFixture.psql(run.url, """
            SELECT concat_ws(',', p.frame_index + 1, p.track_id, p.x, p.y, p.w, p.h)
            FROM track_points p JOIN cameras c ON c.id = p.camera_id WHERE c.name = 'plaza' AND p.label = 'person'
            """)
        #expect(records.count == rows.count && rows.count > 100)
        let frames = rows.map { Int($0.split(separator: ",")[0])! }.max() ?? 0
        var gt = [[MOTMetrics.Row]](repeating: [], count: frames), hyp = gt
        for row in rows {
            let v = row.split(separator: ",").map { Double($0)! }
            gt[Int(v[0]) - 1].append(.init(id: Int(v[1]), box: BoundingBox(x: v[2], y: v[3], width: v[4], height: v[5])))
        }
        for r in records where r.frame <= frames { hyp[r.frame - 1].append(.init(id: r.id, box: r.box)) }
        let metrics = MOTMetrics.compute(gt: gt, hyp: hyp)
        #expect(metrics.mota == 100, "MOTA \(metrics.mota), \(metrics.switches) switches, \(metrics.falsePositives) FP, \(metrics.misses) FN")
        #expect(metrics.idf1 == 100)
    }

    @Test func geoJSONHasAPointPerMapPositionAndALineStringPerTrack() async throws {
        let run = try await ExportFixture.run()
        let file = run.directory + "/paths.geojson"
        let result = try await ExportFixture.export(["tracks", "--format", "geojson", "--out", file], url: run.url)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        #expect(object?["type"] as? String == "FeatureCollection")
        let features = object?["features"] as? [[String: Any]] ?? []
        func geometry(_ f: [String: Any]) -> [String: Any] { f["geometry"] as? [String: Any] ?? [:] }
        let points = features.filter { geometry($0)["type"] as? String == "Point" }
        let lines = features.filter { geometry($0)["type"] as? String == "LineString" }
        let expected = try ExportFixture.psql(run.url, """
            SELECT count(*) FROM track_points WHERE map_x IS NOT NULL;
            SELECT count(*) FROM (SELECT 1 FROM track_points WHERE map_x IS NOT NULL GROUP BY camera_id, run_id, track_id HAVING count(*) >= 2) t;
            SELECT sum(map_x) FROM track_points;
            """)
        #expect(points.count == Int(expected[0]) && points.count > 0)
        #expect(lines.count == Int(expected[1]) && lines.count > 0)
        let sum = points.reduce(0.0) { $0 + ((geometry($1)["coordinates"] as? [Double])?[0] ?? .nan) }
        #expect(abs(sum - Double(expected[2])!) < 1e-6)
        let props = lines.first?["properties"] as? [String: Any]
        #expect((props?["start"] as? String)?.hasSuffix("Z") == true && props?["times"] is [Any])
    }

    @Test func badSelectionsGetClearErrors() async throws {
        let run = try await ExportFixture.run()
        let out = run.directory + "/never.csv"
        let unknown = try await ExportFixture.export(["tracks", "--camera", "nowhere", "--out", out], url: run.url)
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown camera 'nowhere'") && unknown.stderr.contains("plaza"), "\(unknown.stderr)")
        let backwards = try await ExportFixture.export(["events", "--from", "2024-03-11T00:00:00Z", "--to", "2024-03-10T00:00:00Z",
                                                        "--out", out], url: run.url)
        #expect(backwards.status != 0 && backwards.stderr.contains("is not before"), "\(backwards.stderr)")
        let format = try await ExportFixture.export(["events", "--format", "mot", "--out", out], url: run.url)
        #expect(format.status != 0 && format.stderr.contains("track points only"), "\(format.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func timeRangeAndCameraSelectRows() async throws {
        let run = try await ExportFixture.run()
        let file = run.directory + "/range.csv"
        // 21:59:58Z is media time 0: [1 s, 3 s) of media time, the end given with an offset.
        let result = try await ExportFixture.export(["tracks", "--camera", "plaza", "--from", "2024-03-10T21:59:59Z",
                                                     "--to", "2024-03-11T00:00:01+02:00", "--out", file], url: run.url)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\r\n").count - 1
        let expected = try ExportFixture.psql(run.url, "SELECT count(*) FROM track_points WHERE media_time >= 1 AND media_time < 3")
        #expect(lines == Int(expected[0]) && lines > 0)
    }
}
