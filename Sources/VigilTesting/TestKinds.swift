public import VigilCore

/// The in-memory stage kinds of this module, for building registries in tests.
public enum TestKinds {
    public static let all: [any StageSpec.Type] = [
        SyntheticSourceSpec.self, TickerSpec.self, RelaySpec.self, CollectingSinkSpec.self,
    ]
}
