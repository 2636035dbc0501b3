// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks of aifs's building blocks with ordo-one/benchmark: run with
// `swift package --package-path Benchmarks benchmark` (or `scripts/bench micro`).
// Never part of `swift test`; its first build takes several minutes.
let package = Package(
    name: "aifs-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "aifs", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CacheBenchmarks",
            dependencies: [
                .product(name: "AIFS", package: "aifs"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/CacheBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SearchBenchmarks",
            dependencies: [
                .product(name: "AIFS", package: "aifs"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SearchBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "WorkBenchmarks",
            dependencies: [
                .product(name: "AIFS", package: "aifs"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/WorkBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
