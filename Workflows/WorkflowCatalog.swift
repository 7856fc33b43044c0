import WorkflowEngine

/// Every workflow this build ships, as `wf` registers them.
public enum WorkflowCatalog {
    public static var all: [WorkflowDefinition] {
        [
            EngineDemoTask.definition, EngineCheckTask.definition, ModifyNote.definition, CreateNode.definition, CreateCircuit.definition,
            ModifyCircuit.definition,
            ModifyNode.definition, TerminateNode.definition, ValidateNode.definition, ValidateSubscriptions.definition,
            TerminateCircuit.definition, ValidateCircuit.definition, UndoProcess.definition,
        ]
    }
}
