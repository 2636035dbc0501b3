// swift-tools-version: 6.2
import PackageDescription

// Every target of ours is built in Swift 6 mode with the same upcoming features, and
// warnings fail the build: a warning is a defect we have not fixed yet.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "aifs",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AIFS", targets: ["AIFS"]),
        .executable(name: "aifs", targets: ["aifs"]),
        .executable(name: "aifs-mcp", targets: ["aifs-mcp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // C declarations Glibc's Swift module does not export (getdents64, memmem, memrchr).
        .target(name: "CAIFSShims"),
        .target(
            name: "AIFSCore",
            dependencies: [
                "CAIFSShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // Process plumbing only the programs need: signals, exec, standard input.
        .target(
            name: "AIFSProcess",
            dependencies: ["AIFSCore", "CAIFSShims", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AIFSSearch",
            dependencies: [
                "AIFSCore",
                "CAIFSShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AIFSWatch",
            dependencies: [
                "AIFSCore",
                "CAIFSShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // The live trigram index: which files a search may need to read, kept fresh by
        // the watcher's events (fed by the facade).
        .target(
            name: "AIFSIndex",
            dependencies: [
                "AIFSCore",
                "AIFSSearch",
                "AIFSWork",
                "CAIFSShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AIFSCache",
            dependencies: ["AIFSCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The worker pool, batch operations and transactions; SHA-256 from swift-crypto.
        .target(
            name: "AIFSWork",
            dependencies: [
                "AIFSCore",
                "AIFSSearch",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "AIFS",
            dependencies: [
                "AIFSCache", "AIFSCore", "AIFSIndex", "AIFSSearch", "AIFSWatch", "AIFSWork",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The MCP server: tool schemas, argument decoding, results, our stdio transport.
        .target(
            name: "AIFSServer",
            dependencies: [
                "AIFS", "AIFSCache", "AIFSCore", "AIFSIndex", "AIFSProcess", "AIFSSearch", "AIFSWatch", "AIFSWork",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // The command line. It does not link the MCP server: the SDK brings Foundation's
        // networking (curl, TLS, Kerberos: ~30 shared libraries) that would slow every
        // command's start. `aifs serve` runs `aifs-mcp`, built by `swift build` and
        // `swift test` (not by `swift build --product aifs`). No target dependency on it:
        // SwiftPM would link the server's modules into `aifs`.
        .executableTarget(
            name: "aifs",
            dependencies: [
                "AIFS",
                "AIFSCache",
                "AIFSCore",
                "AIFSIndex",
                "AIFSProcess",
                "AIFSSearch",
                "AIFSWatch",
                "AIFSWork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings,
            // Release builds link the Swift runtime and Foundation in, as a position-dependent
            // executable that exports nothing: loading a dozen shared libraries, then
            // relocating 51,000 pointers and scanning 11,000 exported symbols, was most of a
            // one-file search's start (issue 18; docs/design/0011-start-up.md). The static
            // libraries and lld ship with the Swift toolchain for Linux; the two `-l` are the
            // static Foundation's own dependencies, which only a `-static-stdlib` compile
            // would name. Debug builds, and so `swift test`, keep the shared libraries.
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims", "-use-ld=lld",
                        "-Xlinker", "-no-pie", "-Xlinker", "--no-export-dynamic",
                    ],
                    .when(platforms: [.linux], configuration: .release)
                )
            ]
        ),
        // The MCP server over stdio, as its own program (`aifs serve` hands over to it).
        .executableTarget(
            name: "aifs-mcp",
            dependencies: [
                "AIFS",
                "AIFSCore",
                "AIFSProcess",
                "AIFSServer",
                "AIFSWork",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        // Fixtures shared by the test targets: temporary directories and trees.
        .target(
            name: "AIFSTestSupport",
            path: "Tests/AIFSTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AIFSCoreTests",
            dependencies: [
                "AIFSCore",
                "AIFSTestSupport",
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AIFSSearchTests",
            dependencies: ["AIFSSearch", "AIFSCore", "AIFSTestSupport"],
            swiftSettings: strictSettings
        ),
        // The watch state machine alone: a fake kernel and a hand-turned clock, no
        // threads, no disk.
        .testTarget(
            name: "AIFSWatchTests",
            dependencies: ["AIFSWatch", "AIFSCore", "AIFSTestSupport", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AIFSWatchIntegrationTests",
            dependencies: ["AIFSWatch", "AIFSCore", "AIFSTestSupport"],
            swiftSettings: strictSettings
        ),
        // The index alone: real files, no watcher (changes are fed by hand).
        .testTarget(
            name: "AIFSIndexTests",
            dependencies: ["AIFSIndex", "AIFSCore", "AIFSSearch", "AIFSTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AIFSWorkTests",
            dependencies: ["AIFSWork", "AIFSCore", "AIFSSearch", "AIFSTestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AIFSCacheTests",
            dependencies: [
                "AIFSCache", "AIFSCore", "AIFSTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AIFSTests",
            dependencies: ["AIFS", "AIFSCache", "AIFSCore", "AIFSIndex", "AIFSSearch", "AIFSWatch", "AIFSWork", "AIFSTestSupport"],
            swiftSettings: strictSettings
        ),
        // End-to-end tests of `aifs serve` (the built binary as a process, the SDK's Client),
        // plus unit tests of the server's own parts (`@testable import AIFSServer`).
        .testTarget(
            name: "AIFSServerTests",
            dependencies: [
                "aifs", "aifs-mcp", "AIFS", "AIFSCore", "AIFSServer", "AIFSTestSupport", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AIFSEndToEndTests",
            dependencies: ["aifs", "aifs-mcp", "AIFSTestSupport"],
            swiftSettings: strictSettings
        ),
    ]
)
