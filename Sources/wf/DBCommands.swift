import ArgumentParser
import Foundation
import Persistence
import Products
import WorkflowEngine
import Workflows

struct DB: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Create or inspect the database schema.", subcommands: [Migrate.self, Status.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations. Safe to run twice.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                Runtime.bootstrapLogging()
                let store = try await Runtime.openStore(database)
                let path = store.locationDescription
                let applied = try await store.migrate()
                // The code's workflows and product catalog, synced into their tables.
                try await store.syncWorkflows(try WorkflowRegistry(WorkflowCatalog.all).workflows, now: Date())
                let report = try await store.syncProducts(ProductCatalog.all, now: Date())
                if output.json {
                    JSONValue.object([
                        "database": .string(path),
                        "applied": .array(applied.map { .string("\($0.version)_\($0.name)") }),
                        "catalog": .object([
                            "created": .array(report.created.map(JSONValue.string)), "updated": .array(report.updated.map(JSONValue.string)),
                            "not_in_code": .array(report.orphans.map(JSONValue.string)),
                        ]),
                    ]).printJSON()
                    return 0
                }
                if applied.isEmpty {
                    print("\(path): up to date, nothing to apply")
                } else {
                    for migration in applied { print("applied \(migration.version)_\(migration.name)") }
                    print("\(path): up to date")
                }
                for line in report.created { print("catalog: created \(line)") }
                for line in report.updated { print("catalog: updated \(line)") }
                for line in report.orphans { print("catalog: in the database but no longer in code, kept: \(line)") }
                return 0
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the database in use and each migration: applied or pending.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await runCommand {
                Runtime.bootstrapLogging()
                let store = try await Runtime.openStore(database)
                let path = store.locationDescription
                let status = try await store.migrationStatus()
                if output.json {
                    JSONValue.object([
                        "database": .string(path), "dialect": .string(store.dialect),
                        "netbox": .string(try NetBoxInUse.describe(beside: Runtime.databaseLocation(database))),
                        "migrations": .array(
                            status.map { migration in
                                .object([
                                    "version": .string(migration.version), "name": .string(migration.name),
                                    "state": .string(migration.state.rawValue), "applied_at": Rendering.timestamp(migration.appliedAt),
                                ])
                            }),
                    ]).printJSON()
                } else {
                    print("database  \(path) (\(store.dialect))")
                    print("netbox    \(try NetBoxInUse.describe(beside: Runtime.databaseLocation(database)))")
                    print(
                        Rendering.table(
                            ["VERSION", "NAME", "STATE", "APPLIED"],
                            status.map { [$0.version, $0.name, $0.state.rawValue, $0.appliedAt.map(Rendering.shortTime) ?? "-"] }))
                    let pending = status.filter { $0.state == .pending }.count
                    if pending > 0 { print("\(pending) pending: run `wf db migrate`") }
                    if status.contains(where: { $0.state == .modified }) {
                        print("warning: an applied migration file changed since it was applied; add a new migration instead of editing one")
                    }
                }
                return 0
            }
        }
    }
}
