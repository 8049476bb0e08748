// swift-tools-version: 6.0
import PackageDescription

/// Compiler-enforced boundaries on every Swift target (see STYLE.md, habit 1).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .executable(name: "vigil-bench-decode", targets: ["vigil-bench-decode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // 4.x for jwt-kit 5; the webhook sink's HMAC reads the same in 3.x and 4.x.
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    ],
    targets: [
        // MARK: C libraries
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libswscale libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
        ),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CRsvg", pkgConfig: "librsvg-2.0", providers: [.apt(["librsvg2-dev"])]),
        .target(
            name: "CVigilOpenCV",
            cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
            linkerSettings: ["opencv_core", "opencv_imgproc", "opencv_imgcodecs", "opencv_dnn", "opencv_objdetect", "opencv_video",
                             "opencv_calib3d"]
                .map { .linkedLibrary($0) }
        ),

        // MARK: Vocabulary
        .target(
            name: "VigilCore",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),
        // The one reader of configuration files (pipelines, jobs, models registry, tracker settings).
        .target(
            name: "VigilConfig",
            dependencies: ["VigilCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),

        // MARK: Families
        .target(
            name: "VigilMedia",
            dependencies: ["VigilCore", "CFFmpeg", .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),

        .target(
            name: "VigilStore",
            dependencies: [
                "VigilCore", "CLibPQ",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            resources: [.embedInCode("Migrations")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "VigilExport",
            dependencies: ["VigilCore", "VigilStore", "VigilMedia", "CRsvg"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "VigilIngest",
            dependencies: ["VigilCore", "VigilStore", "VigilMedia", .product(name: "Logging", package: "swift-log"),
                           .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "VigilVision",
            dependencies: ["VigilCore", "VigilConfig", "CVigilOpenCV", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(name: "VigilTracking", dependencies: ["VigilCore"], swiftSettings: strictSettings),
        .target(name: "VigilRules", dependencies: ["VigilCore", .product(name: "Logging", package: "swift-log")], swiftSettings: strictSettings),
        .target(
            name: "VigilWebhook",
            dependencies: [
                "VigilCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Runtime
        .target(
            name: "VigilPipeline",
            dependencies: [
                "VigilCore", "VigilConfig",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Front door
        .target(
            name: "VigilServer",
            dependencies: [
                // VigilRules for one thing: a camera's zones and lines are checked by the alert stage's reader.
                // VigilJobs and VigilConfig: processing tasks enqueue jobs, after reading the pipeline's sources.
                // VigilExport: the formats of export downloads (media type, file name).
                "VigilCore", "VigilConfig", "VigilStore", "VigilRules", "VigilJobs", "VigilExport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // gzip of the web app's assets (zlib), compressed once at start-up.
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            exclude: ["README.md"],
            resources: [.copy("Public")],
            swiftSettings: strictSettings
        ),

        // MARK: Coordination
        // The job queue, workers, leader, schedules and footage folders, on the store's PostgreSQL.
        .target(
            name: "VigilJobs",
            dependencies: [
                "VigilCore", "VigilConfig", "VigilStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Test support
        .target(
            name: "VigilTesting",
            dependencies: [
                "VigilCore", "VigilStore", "VigilTracking",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Composition root
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilCore", "VigilConfig", "VigilMedia", "VigilPipeline", "VigilExport", "VigilVision", "VigilTracking",
                "VigilRules", "VigilStore", "VigilWebhook", "VigilServer", "VigilJobs", "VigilIngest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),

        // MARK: Benchmarks
        .executableTarget(name: "vigil-bench-decode", dependencies: ["VigilCore", "VigilMedia"], swiftSettings: strictSettings),
        .executableTarget(
            name: "vigil-bench-rules",
            dependencies: ["VigilCore", "VigilRules"],
            path: "bench/rules/Sources",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "vigil-bench-detect",
            dependencies: ["VigilCore", "VigilConfig", "VigilVision", .product(name: "Logging", package: "swift-log")],
            path: "bench/detect/Sources",
            swiftSettings: strictSettings
        ),

        // MARK: Tests
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"], swiftSettings: strictSettings),
        .testTarget(name: "VigilConfigTests", dependencies: ["VigilCore", "VigilConfig"], swiftSettings: strictSettings),
        .testTarget(
            name: "VigilPipelineTests",
            dependencies: ["VigilCore", "VigilPipeline", "VigilTesting", "VigilExport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VigilMediaTests",
            dependencies: ["VigilCore", "VigilMedia", "VigilPipeline", "VigilTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VigilVisionTests",
            dependencies: ["VigilCore", "VigilConfig", "VigilVision", "VigilTesting", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "VigilTrackingTests", dependencies: ["VigilCore", "VigilTracking", "VigilTesting"], swiftSettings: strictSettings),
        .testTarget(
            name: "VigilRulesTests",
            dependencies: ["VigilCore", "VigilConfig", "VigilRules", "VigilVision", "VigilTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "VigilIntegrationTests", dependencies: ["vigil", "VigilCore", "VigilStore", "VigilTesting", "VigilMedia"], swiftSettings: strictSettings),
        .testTarget(
            name: "VigilWebhookTests",
            dependencies: [
                "VigilCore", "VigilPipeline", "VigilTesting", "VigilWebhook",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VigilJobsTests",
            dependencies: ["vigil", "VigilCore", "VigilStore", "VigilJobs", "VigilTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VigilServerTests",
            dependencies: [
                "vigil", "VigilCore", "VigilStore", "VigilServer", "VigilTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Message formats existing clients speak (copies of ../shared/contracts, which a fresh clone lacks).
            exclude: ["Contracts"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "VigilStoreTests",
            dependencies: ["VigilCore", "VigilStore", "VigilTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        // MARK: Benchmarks
        .executableTarget(
            name: "vigil-ingest-bench",
            dependencies: [
                "VigilCore", "VigilStore", "VigilTesting",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/ingest/Sources",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "vigil-bench-webhook",
            dependencies: ["VigilCore", "VigilMedia", "VigilPipeline", "VigilTesting", "VigilWebhook"],
            path: "bench/webhook/Sources",
            swiftSettings: strictSettings
        ),
    ]
)
