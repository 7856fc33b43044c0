import Testing

/// Limits how many store-heavy tests run at once in one test process.
///
/// swift-testing starts every test of a run together. Each test's SQLite store holds a
/// writer and several readers, with two or three files each and a dispatch queue that holds
/// a thread while SQLite waits for a lock. A whole run at once opened over 1,500 files and
/// 256 threads: past 1,024 files, Foundation's process launching (the CLI suites) crashed
/// the run, and with every dispatch thread taken, HTTP clients stalled until they timed out.
///
/// Each test case of a suite marked `.storeSlots` waits for one of `StoreSlots.width` slots
/// and gives it back when it ends. A suite never holds a slot itself (only its test cases
/// do), so a suite cannot wait on its own tests; nor does a test wait for a second slot.
public struct StoreSlots: SuiteTrait, TestTrait, TestScoping {
    /// How many marked test cases may run at once.
    public static let width = 12

    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // swift-testing may ask for the scope of a test and then of its case: one slot each.
        guard testCase != nil, !test.isSuite, !Self.holding else { return try await function() }
        await Self.slots.acquire()
        do {
            try await Self.$holding.withValue(true) { try await function() }
        } catch {
            await Self.slots.release()
            throw error
        }
        await Self.slots.release()
    }

    /// Whether this task already holds a slot.
    @TaskLocal private static var holding = false

    private static let slots = Slots(width)

    /// A counting semaphore whose waiters are served first come, first served.
    private actor Slots {
        private var free: Int
        private var waiting: [CheckedContinuation<Void, Never>] = []

        init(_ count: Int) { free = count }

        func acquire() async {
            if free > 0 {
                free -= 1
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func release() {
            if waiting.isEmpty {
                free += 1
            } else {
                waiting.removeFirst().resume()
            }
        }
    }
}

extension Trait where Self == StoreSlots {
    /// Runs each test case of the suite while holding one of a few shared slots (see `StoreSlots`).
    public static var storeSlots: Self { StoreSlots() }
}
