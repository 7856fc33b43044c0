extension Lab {
    /// The record with the id written in a URL, or NetBox's 404 for `model` (a segment that
    /// is not a number is a 404 too, as in Django REST framework).
    func record<Record: LabRecord>(_ idText: String, model: String) throws -> Record {
        guard let id = Int(idText), let record = self[keyPath: Record.labTable][id] else {
            throw APIError.notFound(model)
        }
        return record
    }

    /// The record matched by the endpoint's `{id}`.
    func record<Record: LabRecord>(for request: APIRequest, model: String) throws -> Record {
        try record(request.ids.first ?? "", model: model)
    }
}
