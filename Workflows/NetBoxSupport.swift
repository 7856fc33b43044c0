import Foundation
import NetBox
import WorkflowEngine

/// Which prefixes the workflows allocate from, by CIDR: configuration, defaulting to the
/// lab's (see `wf --help` and the README for the environment variables).
public struct IPAMPlan: Sendable, Hashable {
    public var loopbackV4: String
    public var loopbackV6: String
    public var coreLinkV4: String
    public var coreLinkV6: String

    public init(
        loopbackV4: String = "10.0.127.0/24", loopbackV6: String = "fc00:0:0:127::/64", coreLinkV4: String = "10.0.0.0/16",
        coreLinkV6: String = "fc00:0:0:10::/64"
    ) {
        self.loopbackV4 = loopbackV4
        self.loopbackV6 = loopbackV6
        self.coreLinkV4 = coreLinkV4
        self.coreLinkV6 = coreLinkV6
    }

    /// The lab's prefixes, each replaceable by `WF_IPAM_LOOPBACK_V4`, `…_V6`, `WF_IPAM_CORE_LINK_V4`, `…_V6`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> IPAMPlan {
        let lab = IPAMPlan()
        return IPAMPlan(
            loopbackV4: environment["WF_IPAM_LOOPBACK_V4"] ?? lab.loopbackV4, loopbackV6: environment["WF_IPAM_LOOPBACK_V6"] ?? lab.loopbackV6,
            coreLinkV4: environment["WF_IPAM_CORE_LINK_V4"] ?? lab.coreLinkV4, coreLinkV6: environment["WF_IPAM_CORE_LINK_V6"] ?? lab.coreLinkV6)
    }
}

/// A NetBox client made on first use: `wf` registers one that starts the embedded
/// NetBoxLite only when a step or a form actually needs NetBox.
///
/// Callers that ask at the same moment share one `make`: the first call's task is kept
/// before anything is awaited, so two processes that first need NetBox together in one
/// worker never start two embedded NetBoxLites on one state file. A failed `make` is
/// forgotten, so the next call tries again.
public actor NetBoxConnection {
    private let make: @Sendable () async throws -> NetBoxClient
    private var making: Task<NetBoxClient, any Error>?

    public init(lazy make: @escaping @Sendable () async throws -> NetBoxClient) {
        self.make = make
    }

    public func get() async throws -> NetBoxClient {
        let task = making ?? Task { [make] in try await make() }
        making = task
        do {
            return try await task.value
        } catch {
            if making == task { making = nil }
            throw error
        }
    }
}

extension Services {
    /// The NetBox client registered directly, or the one a `NetBoxConnection` makes.
    public func netbox() async throws -> NetBoxClient {
        if let client = get(NetBoxClient.self) { return client }
        return try await require(NetBoxConnection.self).get()
    }
}

extension StepContext {
    /// The prefixes to allocate from (the lab's unless configured).
    public var ipamPlan: IPAMPlan { services.get(IPAMPlan.self) ?? IPAMPlan() }
}

extension FormContext {
    public func netbox() async throws -> NetBoxClient {
        try await services.netbox()
    }
}

extension NetBoxClient {
    /// The prefix configured by `cidr`, or a failure naming it.
    func requirePrefix(_ cidr: String) async throws -> NetBoxPrefix {
        guard let prefix = try await prefix(cidr) else {
            throw StepError("prefix \(cidr) is not in NetBox; create it there or configure another one")
        }
        return prefix
    }
}

/// The router configuration an operator applies, rendered for a form.
public enum RouterConfig {
    public static func node(hostname: String, loopbackV4: String, loopbackV6: String) -> String {
        """
        system {
            host-name \(hostname)
        }
        interfaces {
            Loopback0 {
                description "router loopback";
                family inet  { address \(loopbackV4); }
                family inet6 { address \(loopbackV6); }
            }
        }
        """
    }

    /// The IS-IS metric that drains a link under maintenance, and the one it carries in service.
    public static let maintenanceMetric = 15_000_000
    public static let serviceMetric = 10

    public static func circuitSide(
        node: String, interface: String, description: String, addressV4: String, addressV6: String, underMaintenance: Bool
    ) -> String {
        """
        # \(node)
        interfaces {
            \(interface) {
                description "\(description)";
                family inet  { address \(addressV4); }
                family inet6 { address \(addressV6); }
            }
        }
        protocols {
            isis {
                interface \(interface) {
                    level 2 metric \(underMaintenance ? maintenanceMetric : serviceMetric);
                }
            }
        }
        """
    }
}
