"""The commands of ``airflowctl-hitl``: one module per resource, one function per command."""
