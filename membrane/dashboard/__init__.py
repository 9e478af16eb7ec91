"""The dashboard's membrane panels: stages, stage flows, decisions by verdict, open tasks, the last run."""
