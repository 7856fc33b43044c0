/// Turns the lab's records into NetBox's JSON: full objects, brief ("nested") objects, with
/// absolute `url`s built from the request's base URL.
struct Renderer {
    let lab: Lab
    let choices: Choices
    /// `http://<Host>` of the request.
    let base: String

    /// `<base>/api/<path>/<id>/`.
    func apiURL(_ path: String, _ id: Int) -> JSON {
        .string("\(base)/api/\(path)/\(id)/")
    }

    /// `<base>/<path>/<id>/`: the object's page in NetBox's web UI.
    func displayURL(_ path: String, _ id: Int) -> JSON {
        .string("\(base)/\(path)/\(id)/")
    }
}

extension JSON {
    /// An empty object (`{}`).
    static let emptyObject: JSON = .object([])
}
