extension Renderer {
    /// A cable as `GET /api/dcim/cables/{id}/` shows it, or its brief form.
    func cable(_ cable: CableRecord, brief: Bool = false) -> JSON {
        if brief { return cableBrief(cable) }
        func terminations(_ end: String) -> JSON {
            .array(
                lab.terminations(of: cable.id, end: end).map { interface in
                    ["object_type": .string(ObjectType.interface), "object_id": .int(interface.id), "object": interfaceBrief(interface)]
                })
        }
        return [
            "id": .int(cable.id),
            "url": apiURL("dcim/cables", cable.id),
            "display_url": displayURL("dcim/cables", cable.id),
            "display": .string(cable.display),
            "type": choices.cableType.json(cable.type),
            "a_terminations": terminations("A"),
            "b_terminations": terminations("B"),
            "status": choices.cableStatus.json(cable.status),
            "profile": nil,
            "tenant": nil,
            "bundle": nil,
            "label": .string(cable.label),
            "color": .string(cable.color),
            "length": nil,
            "length_unit": nil,
            "description": .string(cable.description),
            "owner": nil,
            "comments": .string(cable.comments),
            "tags": [],
            "custom_fields": .emptyObject,
            "created": .string(cable.created),
            "last_updated": .string(cable.lastUpdated),
        ]
    }

    /// The brief cable: `{id, url, display, label, description}`.
    func cableBrief(_ cable: CableRecord) -> JSON {
        [
            "id": .int(cable.id),
            "url": apiURL("dcim/cables", cable.id),
            "display": .string(cable.display),
            "label": .string(cable.label),
            "description": .string(cable.description),
        ]
    }

    /// The cable inside a trace: no `display`, and `status` as its plain value.
    func tracedCable(_ cable: CableRecord) -> JSON {
        [
            "id": .int(cable.id),
            "url": apiURL("dcim/cables", cable.id),
            "display_url": displayURL("dcim/cables", cable.id),
            "type": cable.type.isEmpty ? .null : .string(cable.type),
            "status": .string(cable.status),
            "label": .string(cable.label),
            "color": .string(cable.color),
            "length": nil,
            "length_unit": nil,
            "description": .string(cable.description),
        ]
    }
}
