import Foundation
import PostgresNIO
import WorkflowEngine

/// The statements every process runs, prepared once per connection (named statements):
/// PostgreSQL then skips parsing and planning them on each step, about a third of a step's
/// time on the server. Parameter types are declared, so each bound value's binary form is
/// what the server expects.
extension PostgresStore {
    /// The types of `$1`…`$13` of `insertStepSelect`, as `stepBindings` binds them.
    static let stepBindingTypes: [PostgresDataType] = [
        .uuid, .uuid, .text, .text, .text, .text, .timestamptz, .timestamptz, .int8, .timestamptz, .text, .text, .text,
    ]

    /// Runs a prepared statement on its own (autocommit) and returns how many rows it gave.
    func execute<Statement: PostgresPreparedStatement & Sendable>(_ statement: Statement) async throws -> Int {
        counters.statement()
        counters.transaction()
        let (client, logger) = (self.client, self.logger)
        do {
            return try await BoundedCall.run(location.queryTimeout, what: { "\(Statement.self)" }) {
                var count = 0
                for try await _ in try await client.execute(statement, logger: logger) { count += 1 }
                return count
            }
        } catch {
            throw PostgresFailure.wrap(error, location: location)
        }
    }
}

extension PostgresTransaction {
    /// Runs a prepared statement inside the transaction and returns how many rows it gave.
    func execute<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws -> Int {
        counters.statement()
        var count = 0
        for try await _ in try await connection.execute(statement, logger: logger) { count += 1 }
        return count
    }
}

/// A prepared statement whose rows are only counted.
protocol CountedStatement: PostgresPreparedStatement where Row == Void {
    var binds: PostgresBindings { get }
}

extension CountedStatement {
    func makeBindings() throws -> PostgresBindings { binds }
    func decodeRow(_ row: PostgresRow) throws {}
}

/// A step's log row while the process runs on, fenced by the lease, and its events
/// (`$15`…`$17`, see `PostgresStore.appendStepEvents`). `FOR SHARE`: an abort that has
/// updated the process row but not committed yet makes this wait, then see `aborted` and
/// write nothing. `$18`: the row this runner committed before (`StepCommit.follows`), which
/// must be in the log.
struct FencedStepInsert: CountedStatement {
    static let name = "wf_fenced_step_insert"
    static let sql = [
        "WITH step AS (", PostgresStore.insertStepSelect,
        " WHERE EXISTS (SELECT 1 FROM processes WHERE process_id = $2 AND lease_owner = $14 AND last_status = 'running' FOR SHARE)",
        " AND ($18::uuid IS NULL OR EXISTS (SELECT 1 FROM process_steps f WHERE f.process_id = $2 AND f.stepid = $18))",
        " RETURNING process_id), ", PostgresStore.stepEventsSQL(at: 8, kinds: 15, data: 16), " ", PostgresStore.notifySQL(channel: 17, from: "step"),
    ].joined()
    static let bindingDataTypes = PostgresStore.stepBindingTypes + [.text, .textArray, .textArray, .text, .uuid]
    let binds: PostgresBindings
}

/// The step that stops a process: the process row takes the outcome and gives up the lease,
/// a final status releases the subscription locks, and the log row and its events (`$21`…`$23`)
/// are written, in one statement; `$24` as `$18` of `FencedStepInsert`.
struct StoppingStepCommit: CountedStatement {
    static let name = "wf_stopping_step_commit"
    static let sql = [
        """
        WITH stopped AS (
            UPDATE processes SET last_status = $15, last_step = $3, state = $5::jsonb, form = $16::jsonb, failed_reason = $17,
                next_retry_at = $18, lease_owner = NULL, lease_expires_at = NULL, last_modified_at = $8
            WHERE process_id = $2 AND lease_owner = $14 AND last_status = 'running'
                AND ($24::uuid IS NULL OR EXISTS (SELECT 1 FROM process_steps f WHERE f.process_id = $2 AND f.stepid = $24))
            RETURNING process_id
        ), unlocked AS (
            UPDATE subscriptions SET locked_by = NULL, insync = CASE WHEN $20 THEN true ELSE insync END
            WHERE $19 AND locked_by IN (SELECT process_id FROM stopped)
        ), step AS (
        """,
        PostgresStore.insertStepSelect, " FROM stopped RETURNING process_id), ", PostgresStore.stepEventsSQL(at: 8, kinds: 21, data: 22), " ",
        PostgresStore.notifySQL(channel: 23, from: "step"),
    ].joined()
    static let bindingDataTypes =
        PostgresStore.stepBindingTypes + [.text, .text, .text, .text, .timestamptz, .bool, .bool, .textArray, .textArray, .text, .uuid]
    let binds: PostgresBindings
}

/// A new process with its inputs and its event (`$22`, notified on `$23`), and the wake-up
/// for workers when it is enqueued.
struct ProcessInsert: CountedStatement {
    static let name = "wf_process_insert"
    static let sql = """
        WITH inserted AS (
            INSERT INTO processes (process_id, workflow_id, workflow_version, last_status, last_step, state, form, failed_reason,
                created_by, is_task, started_at, last_modified_at, lease_owner, lease_expires_at, next_retry_at)
            SELECT $1, workflow_id, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14 FROM workflows WHERE name = $15
            RETURNING process_id
        ), inputs AS (
            INSERT INTO input_states (process_id, seq, input_state_id, input_state, input_type, created_by, page, input_time)
            SELECT inserted.process_id, i.n, gen_random_uuid(), i.state::jsonb, i.kind, i.created_by, NULLIF(i.page, ''), to_timestamp(i.at)
            FROM inserted, unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::float8[])
                WITH ORDINALITY AS i (state, kind, created_by, page, at, n)
        ), logged AS (
            INSERT INTO events (at, kind, process_id, data) SELECT $10, 'process_created', inserted.process_id, $22::jsonb FROM inserted
        )
        SELECT CASE WHEN $21 = '' THEN NULL ELSE pg_notify($21, '') END AS notified, pg_notify($23, '') AS logged FROM inserted
        """
    static let bindingDataTypes: [PostgresDataType] = [
        .uuid, .text, .text, .text, .text, .text, .text, .text, .bool, .timestamptz, .timestamptz, .text, .timestamptz, .timestamptz, .text,
        .textArray, .textArray, .textArray, .textArray, .float8Array, .text, .text, .text,
    ]
    let binds: PostgresBindings
}

struct LeaseRenewal: CountedStatement {
    static let name = "wf_lease_renewal"
    static let sql = "UPDATE processes SET lease_expires_at = $1 WHERE process_id = $2 AND lease_owner = $3 RETURNING 1"
    static let bindingDataTypes: [PostgresDataType] = [.timestamptz, .uuid, .text]
    let binds: PostgresBindings
}

/// The benchmark's floor, prepared like the engine's own statements.
struct BareCommit: CountedStatement {
    static let name = "wf_bench_bare_commit"
    static let sql = "INSERT INTO bench_bare_commits (payload) VALUES ($1)"
    static let bindingDataTypes: [PostgresDataType] = [.text]
    let binds: PostgresBindings
}
