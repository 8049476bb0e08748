import Testing
import VigilCore
import VigilPipeline

@Suite("Pipeline file validation")
struct PipelineSpecTests {
    @Test func validPipelineLoadsWithTypedGraph() throws {
        let spec = try load("""
        sources:
          cam:
            type: synthetic
            frames: 5
        stages:
          r:
            type: relay
            inputs: [cam]
        sinks:
          out:
            type: collect
            inputs: [r]
            log: x
        """)
        #expect(spec.components.map(\.id) == ["cam", "r", "out"])
        #expect(spec.graph.topologicalOrder == ["cam", "r", "out"])
        #expect(spec.graph.node("r")?.outputPort == .frames)
        #expect(spec.graph.upstreamSources(of: "out") == ["cam"])
    }

    @Test func unknownTypeSuggestsClosest() {
        let d = diagnostics("""
        sources:
          cam:
            type: synthetik
        sinks:
          out:
            type: collect
            inputs: [cam]
            log: x
        """)
        #expect(d == ["3:11: unknown source type 'synthetik'; did you mean 'synthetic'?"])
    }

    @Test func typeInWrongSection() {
        let d = diagnostics("""
        sources:
          cam:
            type: synthetic
        stages:
          bad:
            type: collect
            inputs: [cam]
            log: y
        sinks:
          out:
            type: collect
            inputs: [cam]
            log: x
        """)
        #expect(d == ["6:11: 'collect' is a sink type and belongs under 'sinks', not 'stages'"])
    }

    @Test func unknownAndMissingInputs() {
        let d = diagnostics("""
        sources:
          camera:
            type: synthetic
        stages:
          r:
            type: relay
        sinks:
          out:
            type: collect
            inputs: [camra, r]
            log: x
        """)
        #expect(d.contains("5:3: 'r' has no 'inputs'; list the ids it reads from, e.g. inputs: [camera]"))
        #expect(d.contains("10:14: unknown input 'camra' of 'out'; did you mean 'camera'?"))
        #expect(d.count == 2)
    }

    @Test func cycleIsRejectedWithTheChain() {
        let d = diagnostics("""
        sources:
          cam:
            type: synthetic
        stages:
          a:
            type: relay
            inputs: [cam, b]
          b:
            type: relay
            inputs: [a]
        sinks:
          out:
            type: collect
            inputs: [b]
            log: x
        """)
        #expect(d == ["5:3: Cyclic dependency detected in the chain [ a -> b -> a ]"])
    }

    @Test func portTypeMismatch() {
        let d = diagnostics("""
        sources:
          ticks:
            type: ticker
        stages:
          r:
            type: relay
            inputs: [ticks]
        sinks:
          out:
            type: collect
            inputs: [r]
            log: x
        """)
        #expect(d == ["7:14: port type mismatch: 'ticks' writes events but 'r' (relay) reads frames"])
    }

    @Test func unknownKeySuggestsClosestValidKey() {
        let d = diagnostics("""
        sources:
          cam:
            type: synthetic
            frame: 5
        sinks:
          out:
            type: collect
            inputs: [cam]
            log: x
        """)
        #expect(d == ["4:5: unknown key 'frame'; did you mean 'frames'?"])
    }

    @Test func badValuesAreReportedAtTheValue() {
        let d = diagnostics("""
        sources:
          cam:
            type: synthetic
            fps: fast
            pace: 5 parsecs
            frames: -3
        sinks:
          out:
            type: jsonl
            inputs: [cam]
            path: out.jsonl
            frames_without_objects: maybe
        """)
        #expect(d == [
            "4:10: invalid value 'fast' for 'fps': expected a positive rate such as 5, 5/s, 300/m or 10fps",
            "5:11: invalid value '5 parsecs' for 'pace': expected a duration such as 500ms, 5s, 1m or 2h",
            "6:13: invalid value '-3' for 'frames': expected an integer in 0...10000000",
            "12:29: invalid value 'maybe' for 'frames_without_objects': expected true or false",
        ])
    }

    @Test func manyErrorsAtOnceInFileOrder() {
        let d = diagnostics("""
        source:
          cam:
            type: synthetic
        sinks:
          out:
            type: collekt
            inputs: [nowhere]
        """)
        // The sink's unknown type does not hide its unknown input.
        #expect(d == [
            "1:1: unknown top-level key 'source'; did you mean 'sources'?",
            "1:1: the pipeline has no 'sources' section",
            "6:11: unknown sink type 'collekt'; did you mean 'collect'?",
            "7:14: unknown input 'nowhere' of 'out'",
        ])
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let d = diagnostics("sources:\n  cam: [unclosed\n")
        #expect(d.count == 1)
        #expect(d[0].hasPrefix("3:1: invalid YAML") || d[0].hasPrefix("2:") || d[0].hasPrefix("3:"))
    }

    @Test func environmentInterpolation() throws {
        let yaml = """
        sources:
          cam:
            type: synthetic
            frames: ${FRAMES}
            fps: ${FPS:-25}
        sinks:
          out:
            type: collect
            inputs: [cam]
            log: ${LOG:-default-log}
        """
        let spec = try load(yaml, environment: ["FRAMES": "7"])
        #expect(spec.components.count == 2)
        let missing = diagnostics(yaml, environment: [:])
        #expect(missing == ["4:13: environment variable 'FRAMES' is not set (use ${FRAMES:-default} for a default)"])
    }

    @Test func duplicateIdsAndSourcesWithInputs() {
        let d = diagnostics("""
        sources:
          cam:
            type: synthetic
            inputs: [x]
        sinks:
          cam:
            type: collect
            inputs: [cam]
            log: x
        """)
        #expect(d.contains("4:5: sources take no 'inputs'"))
        #expect(d.contains("6:3: duplicate id 'cam' (first defined at p.yaml:2:3)"))
    }
}
