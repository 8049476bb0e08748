import Foundation
import Testing
import VigilCore
import VigilPipeline

@Suite("Job files")
struct JobFileTests {
    func write(_ text: String, name: String = "job.yaml") throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-job-\(UUID().uuidString)/jobs")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    @Test func readsPipelineInputsWindowAndPolicy() throws {
        let path = try write("""
        pipeline: ../Pipelines/site.yaml
        inputs:
          plaza: samples/vtest.avi
        from: 10s
        to: 1m
        rerun: resume
        """)
        #expect(JobFile.isJob(path))
        let job = try JobFile.load(path)
        let root = URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent().path
        #expect(job.pipeline == root + "/Pipelines/site.yaml")
        #expect(job.inputs == ["plaza": "samples/vtest.avi"])
        #expect(job.window == TimeWindow(start: 10, end: 60))
        #expect(job.rerun == .resume)
    }

    @Test func reportsEveryProblemWithItsPosition() throws {
        let path = try write("""
        pipeline: x.yaml
        inputz: {}
        to: 1x
        rerun: sometimes
        """)
        do {
            _ = try JobFile.load(path)
            Issue.record("a bad job file loaded")
        } catch let error as ValidationError {
            #expect(error.diagnostics.map { "\($0.location!.line):\($0.location!.column)" } == ["2:1", "3:5", "4:8"])
            #expect(error.diagnostics[0].message == "unknown key 'inputz'; did you mean 'inputs'?")
        }
    }

    @Test func readsFootageSettings() throws {
        let named = try JobFile.load(try write("""
        pipeline: p.yaml
        time_from_name: "%Y%m%d_%H%M%S"
        time_zone: Europe/Paris
        on_truncated: fail
        """))
        #expect(named.timeOrigin == .fileName(try FileNameTimePattern("%Y%m%d_%H%M%S"), TimeZone(identifier: "Europe/Paris")!))
        #expect(named.onTruncated == .fail)
        let recorded = try JobFile.load(try write("pipeline: p.yaml\ntime_origin: recorded\n"))
        #expect(recorded.timeOrigin == .creationTime && recorded.onTruncated == nil)
        let both = try JobFile.load(try write("pipeline: p.yaml\ntime_origin: recorded\ntime_from_name: \"REC_%Y%m%d\"\n"))
        #expect(both.timeOrigin == .fileName(try FileNameTimePattern("REC_%Y%m%d"), TimeZone(identifier: "UTC")!))
        let declared = try JobFile.load(try write("pipeline: p.yaml\ntime_origin: 2024-01-01T10:30:05Z\n"))
        #expect(declared.timeOrigin == .declared(ISO8601DateFormatter().date(from: "2024-01-01T10:30:05Z")!))
        #expect(try JobFile.load(try write("pipeline: p.yaml\ntime_origin: run_start\n")).timeOrigin == .runStart)
        #expect(try JobFile.load(try write("pipeline: p.yaml\n")).timeOrigin == nil)
    }

    @Test func reportsFootageMistakesWithTheirPositions() throws {
        func problems(_ text: String) throws -> [String] {
            do {
                _ = try JobFile.load(try write(text))
                return []
            } catch let error as ValidationError {
                return error.diagnostics.map { "\($0.location!.line):\($0.location!.column): \($0.message)" }
            }
        }
        #expect(try problems("""
        pipeline: p.yaml
        time_origin: yesterday
        time_from_name: "%Y%m%d_%Q"
        time_zone: Mars/Olympus
        on_truncated: ignore
        """) == [
            "2:14: invalid value 'yesterday' for 'time_origin': expected run_start, recorded or an ISO 8601 time such as 2024-05-01T08:00:00Z",
            "3:17: invalid time_from_name '%Y%m%d_%Q': unknown directive %Q; use %Y %y %m %d %H %M %S or %%",
            "4:12: invalid value 'Mars/Olympus' for 'time_zone': expected an IANA time zone such as UTC or Europe/Paris",
            "5:15: invalid value 'ignore' for 'on_truncated': expected one of complete, fail",
        ])
        #expect(try problems("pipeline: p.yaml\ntime_origin: run_start\ntime_from_name: \"%Y%m%d\"\ntime_zone: UTC\n") == [
            "3:17: 'time_from_name' reads the recorded time from the file name; it cannot be combined with time_origin: run_start",
        ])
        #expect(try problems("pipeline: p.yaml\ntime_zone: UTC\n") == [
            "2:12: 'time_zone' applies to the time in file names; add time_from_name",
        ])
        #expect(try problems("pipeline: p.yaml\ntime_from_nam: x\n") == ["2:1: unknown key 'time_from_nam'; did you mean 'time_from_name'?"])
    }

    @Test func aPipelineIsNotAJob() throws {
        let path = try write("sources:\n  cam: {type: video, url: a.mp4}\n")
        #expect(!JobFile.isJob(path))
    }
}
