import Foundation
import Synchronization

/// Values computed from the subscriptions (the create_circuit form's usable Nodes, the network
/// map), kept while no subscription changes: each read asks the store's `changeStamp()` (one
/// small query) and recomputes only when it moved. The stamp is read before the value is
/// computed, so a change committed meanwhile leaves a stamp that no longer matches, and the
/// next read recomputes; a value is never kept past a change.
public final class UnchangedSubscriptionsCache: Sendable {
    private let entries = Mutex<[String: Entry]>([:])
    /// The most keys kept; past it the cache starts empty again (keys name a few lists, not one per user).
    public let capacity: Int

    private struct Entry: Sendable {
        var stamp: Int
        var value: any Sendable
    }

    public init(capacity: Int = 64) {
        self.capacity = capacity
    }

    /// Forgets every value (a benchmark timing what the first reader after a change waits).
    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    /// `compute`'s value under `key`, computed again only when a subscription (of `products`,
    /// when named: names or product types) changed since it last was. `key` names everything
    /// else the value depends on.
    public func value<Value: Sendable>(
        _ key: String, store: any SubscriptionStore, products: [String]? = nil, _ compute: @Sendable () async throws -> Value
    ) async throws -> Value {
        let stamp = try await store.changeStamp(of: products)
        if let entry = entries.withLock({ $0[key] }), entry.stamp == stamp, let value = entry.value as? Value {
            return value
        }
        let value = try await compute()
        entries.withLock { entries in
            if entries.count >= capacity, entries[key] == nil { entries.removeAll() }
            // A slower computation under an older stamp never replaces a newer one.
            if let kept = entries[key], kept.stamp > stamp { return }
            entries[key] = Entry(stamp: stamp, value: value)
        }
        return value
    }
}
