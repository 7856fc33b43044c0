import Foundation

/// The choice lists NetBox validates against, read from `choices.json` (dumped from NetBox 4.7.3).
struct Choices: Sendable {
    let deviceStatus: ChoiceSet
    let cableStatus: ChoiceSet
    let cableType: ChoiceSet
    let interfaceType: ChoiceSet
    let interfaceMode: ChoiceSet
    let prefixStatus: ChoiceSet
    let ipAddressStatus: ChoiceSet
    let ipAddressRole: ChoiceSet

    /// Interface types that can take no cable: NetBox's virtual and wireless kinds.
    let virtualInterfaceTypes: Set<String>
    let wirelessInterfaceTypes: Set<String>

    /// The lists shipped with NetBoxLite.
    static func bundled() throws -> Choices {
        guard let url = Bundle.module.url(forResource: "choices", withExtension: "json") else {
            throw NetBoxLiteError(.badSeed, "choices.json is missing from the NetBoxLite bundle")
        }
        return try Choices(data: Data(contentsOf: url))
    }

    init(data: Data) throws {
        let lists: [String: [ChoiceSet.Choice]]
        do {
            // The file also holds a "_source" string; keep only the lists.
            let raw = try JSONDecoder().decode([String: JSONListOrText].self, from: data)
            lists = raw.compactMapValues(\.list)
        } catch {
            throw NetBoxLiteError(.badSeed, "choices.json cannot be read", underlying: error)
        }
        func set(_ name: String) throws -> ChoiceSet {
            // Keys read "dcim.device.status (DeviceStatusChoices)".
            guard let list = lists.first(where: { $0.key.split(separator: " ").first.map(String.init) == name })?.value else {
                throw NetBoxLiteError(.badSeed, "choices.json has no list for \(name)")
            }
            return ChoiceSet(choices: list)
        }
        deviceStatus = try set("dcim.device.status")
        cableStatus = try set("dcim.cable.status")
        cableType = try set("dcim.cable.type")
        interfaceType = try set("dcim.interface.type")
        interfaceMode = try set("dcim.interface.mode")
        prefixStatus = try set("ipam.prefix.status")
        ipAddressStatus = try set("ipam.ipaddress.status")
        ipAddressRole = try set("ipam.ipaddress.role")
        virtualInterfaceTypes = interfaceType.values(inGroup: "Virtual interfaces")
        wirelessInterfaceTypes = interfaceType.values(inGroup: "Wireless")
    }

    private enum JSONListOrText: Decodable {
        case list([ChoiceSet.Choice])
        case text

        init(from decoder: any Decoder) throws {
            if let list = try? decoder.singleValueContainer().decode([ChoiceSet.Choice].self) {
                self = .list(list)
            } else {
                self = .text
            }
        }

        var list: [ChoiceSet.Choice]? {
            if case .list(let list) = self { return list }
            return nil
        }
    }
}
