/// Who is expected to answer the workshop workflows' input steps, as orchestrator-core's
/// input steps name an assignee: `wf processes --waiting-for noc` lists what waits for them.
public enum WorkshopTeams {
    /// The team that applies configuration on the routers and confirms it.
    public static let configuration = "noc"
}
