/// NetBox's object type names (`app_label.model`) for the kinds NetBoxLite serves.
enum ObjectType {
    static let interface = "dcim.interface"
}
