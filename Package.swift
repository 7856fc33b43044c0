// swift-tools-version: 6.2
import PackageDescription

/// Our own targets treat warnings as errors; dependencies are left alone.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "Orchestrator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wf", targets: ["wf"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // Steps, step lists, state, statuses, the process state machine, the runner, store protocols.
        // Imports no database, HTTP or CLI library.
        .target(
            name: "WorkflowEngine",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The numbered SQL files, shipped as resources.
        .target(
            name: "Migrations",
            path: "migrations",
            exclude: ["README.md"],
            resources: [.copy("sqlite"), .copy("postgres")],
            swiftSettings: strict
        ),
        // The SQLite and PostgreSQL stores and the migrator.
        .target(
            name: "Persistence",
            dependencies: [
                "WorkflowEngine", "Migrations", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Forms on a terminal and from scripts: prompts, `--input` parsing, summaries.
        .target(
            name: "TerminalForms",
            dependencies: ["WorkflowEngine"],
            swiftSettings: strict
        ),
        // Products and their blocks (Node, Circuit): typed models with lifecycle rules.
        .target(
            name: "Products",
            dependencies: ["WorkflowEngine"],
            path: "Products",
            swiftSettings: strict
        ),
        // The NetBox REST client: typed models, filters, pagination, error mapping. No engine import.
        .target(
            name: "NetBox",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The single-dispatch payload builder: a product block becomes the NetBox payload for it.
        .target(
            name: "NetBoxPayloads",
            dependencies: ["NetBox", "Products", "WorkflowEngine"],
            swiftSettings: strict
        ),
        // An embedded NetBox-compatible server (the API subset the workflows use), seeded with a lab.
        .target(
            name: "NetBoxLite",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/default-lab.json"), .copy("Resources/choices.json")],
            swiftSettings: strict
        ),
        // Workflows shipped with the product, one file per workflow.
        .target(
            name: "Workflows",
            dependencies: ["WorkflowEngine", "Products", "NetBox", "NetBoxPayloads"],
            path: "Workflows",
            swiftSettings: strict
        ),
        // Helpers for tests: temporary stores, scripted workflows, a manual clock.
        .target(
            name: "WorkflowTestKit",
            dependencies: ["WorkflowEngine", "Persistence", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The command-line tool: the only place where everything is wired together.
        .executableTarget(
            name: "wf",
            dependencies: [
                "WorkflowEngine", "Persistence", "Workflows", "TerminalForms", "Products", "NetBox", "NetBoxLite", "NetBoxPayloads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Resources/openapi.json"), .copy("Resources/web")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NetBoxLiteTests",
            dependencies: [
                "NetBoxLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            resources: [.copy("Fixtures/recordings")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NetBoxTests",
            dependencies: ["NetBox", "NetBoxLite", "NetBoxPayloads", "Products", "WorkflowEngine", "WorkflowTestKit"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WorkflowsTests",
            dependencies: ["Workflows", "WorkflowEngine", "WorkflowTestKit", "Products", "NetBox", "NetBoxLite", "Persistence"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "WorkflowEngineTests",
            dependencies: ["WorkflowEngine", "WorkflowTestKit", "Products", "Persistence", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TerminalFormsTests",
            dependencies: ["TerminalForms", "WorkflowEngine", "WorkflowTestKit", "Workflows", "Products", "NetBox", "NetBoxLite"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PersistenceTests",
            dependencies: ["Persistence", "WorkflowEngine", "WorkflowTestKit", "Products", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "wfTests",
            dependencies: [
                "WorkflowTestKit", "Persistence", "WorkflowEngine", "Products", "Workflows", "wf", "NetBox",
                .product(name: "Logging", package: "swift-log"),
            ],
            // Real deliveries of NetBox 4.7.3's webhooks, from ../shared/netbox-contract/webhooks.
            resources: [.copy("Fixtures/netbox-webhooks")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
