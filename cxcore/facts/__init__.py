"""The fact catalogue and its two computations (DESIGN.md section 4)."""
