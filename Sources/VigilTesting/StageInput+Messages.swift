import Synchronization
public import VigilCore

extension StageInput {
    /// An input that yields `messages` in order, then ends: to drive one stage directly in a test,
    /// with a ``CollectingSink``'s `output` on the other side.
    public static func messages(_ messages: [Message]) -> StageInput {
        let feed = Feed(messages)
        return StageInput { feed.next() }
    }
}

private final class Feed: Sendable {
    private let items: [Message]
    private let position = Atomic<Int>(0)
    init(_ items: [Message]) { self.items = items }
    func next() -> Message? {
        let index = position.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < items.count ? items[index] : nil
    }
}
