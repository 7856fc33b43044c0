/// Where a subscription is in its life (`subscriptions.status`).
public enum Lifecycle: String, Sendable, Codable, CaseIterable, Hashable, CustomStringConvertible {
    case initial
    case provisioning
    case active
    case disabled
    case terminated
    case migrating

    public var description: String { rawValue }
}

/// The lifecycle changes a product allows. Staying where one is is always allowed.
public struct LifecycleGraph: Sendable, Hashable {
    public var edges: [Lifecycle: Set<Lifecycle>]

    public init(_ edges: [Lifecycle: Set<Lifecycle>]) {
        self.edges = edges
    }

    /// initial → provisioning → active; active → provisioning → active for a modify;
    /// active and provisioning (and initial) → terminated; active ⇄ disabled; active ⇄ migrating.
    public static let standard = LifecycleGraph([
        .initial: [.provisioning, .terminated],
        .provisioning: [.active, .terminated],
        .active: [.provisioning, .disabled, .migrating, .terminated],
        .disabled: [.active, .terminated],
        .migrating: [.active, .terminated],
        .terminated: [],
    ])

    public func allows(_ from: Lifecycle, _ to: Lifecycle) -> Bool {
        from == to || edges[from, default: []].contains(to)
    }
}

/// In which lifecycles a field must be set.
public struct Requirement: Sendable, Hashable {
    public let lifecycles: Set<Lifecycle>

    public init(_ lifecycles: Set<Lifecycle>) {
        self.lifecycles = lifecycles
    }

    /// Required from `lifecycle` on: `.from(.provisioning)` is required in provisioning,
    /// active, disabled and migrating (not in initial, and not once terminated).
    public static func from(_ lifecycle: Lifecycle) -> Requirement {
        switch lifecycle {
        case .initial: Requirement([.initial, .provisioning, .active, .disabled, .migrating])
        case .provisioning: Requirement([.provisioning, .active, .disabled, .migrating])
        case .active: Requirement([.active, .disabled, .migrating])
        case .disabled: Requirement([.disabled])
        case .migrating: Requirement([.migrating])
        case .terminated: Requirement([.terminated])
        }
    }

    public static let always = Requirement.from(.initial)
    public static let never = Requirement([])
}
