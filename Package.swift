// swift-tools-version:6.0
import PackageDescription

let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "kagibag",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kagibag", targets: ["kagibag"])
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/vapor.git", exact: "4.122.3"),
        .package(url: "https://github.com/vapor/fluent.git", exact: "4.13.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", exact: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", exact: "2.14.0"),
        .package(url: "https://github.com/vapor/leaf.git", exact: "4.5.2"),
        .package(url: "https://github.com/vapor/leaf-kit.git", exact: "1.14.3"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        // KagibagSQL's own: the drivers Fluent's drivers bring, named for the hot-path SQL machinery.
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // Webhook deliveries (Vapor's own client is built on it).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Tests only: random and adversarial inputs for the parsers an attacker feeds.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
    ],
    targets: [
        // The API-key format, checksum and digest: pure logic, no web framework.
        .target(
            name: "APIKeyCore",
            dependencies: [crypto],
            swiftSettings: swiftSettings
        ),
        // Kagibag's hot-path SQL machinery, below Fluent: SQLite's read-only readers and its one-hand-off writer, PostgreSQL's
        // statements by type and prepared plans. Knows no web framework and no feature.
        .target(
            name: "KagibagSQL",
            dependencies: [
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Webhooks' signing secrets and signatures (Standard Webhooks), retry schedule and which
        // addresses may receive deliveries: pure logic, no web framework.
        .target(
            name: "WebhookCore",
            dependencies: ["APIKeyCore", crypto],
            swiftSettings: swiftSettings
        ),
        // The commit a release was built from (`scripts/release`), for `--version` and /metrics.
        .target(name: "KagibagBuild"),
        .target(
            name: "App",
            dependencies: [
                "APIKeyCore",
                "KagibagBuild",
                "KagibagSQL",
                "WebhookCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Vapor", package: "vapor"),
                .product(name: "Fluent", package: "fluent"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "Leaf", package: "leaf"),
                .product(name: "LeafKit", package: "leaf-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                crypto,  // P-256 signatures of GitHub's secret-scanning reports
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "kagibag",
            dependencies: ["App"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "APIKeyCoreTests",
            dependencies: ["APIKeyCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App",
                "KagibagSQL",
                "WebhookCore",
                .product(name: "VaporTesting", package: "vapor"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                crypto,
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
