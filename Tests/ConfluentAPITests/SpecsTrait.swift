import JumpchainTestSupport
import Testing

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the vendored OpenAPI specs are found; otherwise prints why and skips.
    static var requiresSpecs: Self {
        .enabled(Comment(rawValue: "needs OpenAPI specs: \(SpecLocator.current.reason)")) {
            SpecLocator.current.enabledOrPrintSkip()
        }
    }
}
