/// Why a subscription cannot be acted on now, in the words every refusal uses: the first
/// form page, the check of a scripted answer, and the store's own check when the process is
/// created. Each is a predicate for "subscription 7bcc… is …".
public enum SubscriptionRefusal {
    /// "held by process 3f2a… (create_circuit, started by alice, suspended) until it ends; …".
    /// `holding` is the holder's workflow, starter and status when known.
    public static func held(_ key: String, by holder: String, holding: (workflow: String, user: String, status: String)?) -> String {
        let what = holding.map { " (\($0.workflow), started by \($0.user), \($0.status))" } ?? ""
        return "held by process \(holder)\(what) until it ends; wait for it, abort it (`wf abort \(holder.prefix(8))`), "
            + "or, if it will never end, `wf subscription unlock \(key.prefix(8)) --force`"
    }

    /// "out of sync (active); modify and terminate take only in-sync subscriptions: …".
    public static func outOfSync(_ key: String, status: String) -> String {
        "out of sync (\(status)); modify and terminate take only in-sync subscriptions: see why with "
            + "`wf subscription history \(key.prefix(8))`, check it with its validate workflow, or, once repaired by hand, "
            + "`wf subscription set-in-sync \(key.prefix(8)) --reason …`"
    }
}
